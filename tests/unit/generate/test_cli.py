"""The ``generate`` command: options, output, one-line errors."""

from __future__ import annotations

from click.testing import CliRunner

from sandbox.generate import read_manifest
from sandbox.generate.cli import generate_command


def test_generate_writes_file_and_manifest(tmp_path):
    out = tmp_path / "events.jsonl"
    result = CliRunner().invoke(
        generate_command,
        ["--sessions", "200", "--seed", "3", "--out", str(out), "--end", "2022-01-31"],
    )
    assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    assert manifest.sessions == 200 and manifest.seed == 3 and manifest.end == "2022-01-31"
    assert f"{manifest.events_total:,} events" in result.output


def test_generate_gzip(tmp_path):
    out = tmp_path / "events.jsonl.gz"
    result = CliRunner().invoke(generate_command, ["--sessions", "50", "--gzip", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    assert read_manifest(out).gzip is True


def test_default_output_goes_to_the_state_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(tmp_path / "state"))
    result = CliRunner().invoke(generate_command, ["--sessions", "10"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "state" / "data" / "events.jsonl").exists()
    assert (tmp_path / "state" / "data" / "events.manifest.json").exists()


def test_bad_end_date_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(generate_command, ["--end", "31/07/2023"])
    assert result.exit_code == 2
    assert "not a date" in result.output


def test_unwritable_output_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = CliRunner().invoke(
        generate_command, ["--sessions", "5", "--out", str(blocker / "sub" / "e.jsonl")]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot write")
    assert "Traceback" not in result.output

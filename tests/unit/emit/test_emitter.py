"""emit_file: the AWS guard, stream names, preflight, per-stream reports; the emit command."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from sandbox.emit import (
    AwsGuardError,
    EmitError,
    EmulatorDownError,
    StreamNotFoundError,
    check_endpoint,
    client_factory,
    emit_file,
    resolve_streams,
)
from sandbox.emit.batching import MAX_RECORD_BYTES
from sandbox.emit.cli import emit_command
from sandbox.infra.outputs import save_outputs
from sandbox.settings import Settings

OUTPUT_NAMES = {
    "bucket_name": "lake",
    "results_bucket_name": "results",
    "json_stream_name": "events_json",
    "parquet_stream_name": "events_parquet",
    "glue_database_name": "db",
    "json_table_name": "events_json",
    "parquet_table_name": "events_parquet",
    "athena_workgroup_name": "wg",
    "region": "us-east-1",
}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(state_dir=tmp_path / "state")


@pytest.fixture
def provisioned(settings) -> Settings:
    save_outputs(settings, {k: {"value": v} for k, v in OUTPUT_NAMES.items()})
    return settings


@pytest.fixture
def events_file(tmp_path):
    path = tmp_path / "events.jsonl"
    big = b'{"k": "' + b"x" * (MAX_RECORD_BYTES + 1 - 9) + b'"}'
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n' + big + b'\n{"c": 3}\n')
    return path


def never_called():
    raise AssertionError("no client may be created")


@pytest.mark.parametrize(
    "url",
    ["https://firehose.us-east-1.amazonaws.com", "http://10.0.0.5:4566", "http://example.com"],
)
def test_guard_refuses_non_local_endpoints_and_says_why(tmp_path, events_file, url):
    settings = Settings(state_dir=tmp_path, endpoint_override=url)
    with pytest.raises(AwsGuardError, match=r"not a local endpoint.*--allow-aws") as info:
        emit_file(events_file, ["s"], settings, clients=never_called)
    assert url in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("url", ["http://localhost:4566", "http://127.0.0.1:4599", None])
def test_guard_lets_local_endpoints_through(tmp_path, url):
    check_endpoint(Settings(state_dir=tmp_path, endpoint_override=url))


def test_guard_can_be_lifted_explicitly(tmp_path, events_file, helpers):
    settings = Settings(state_dir=tmp_path, endpoint_override="https://firehose.example.com")
    fake = helpers.FakeFirehose()
    reports = emit_file(events_file, ["s"], settings, allow_aws=True, clients=lambda: fake)
    assert reports["s"].sent == 3


def test_aws_clients_never_get_the_dummy_credentials(tmp_path):
    settings = Settings(state_dir=tmp_path, endpoint_override="https://firehose.example.com")
    client = client_factory(settings)()
    credentials = client._request_signer._credentials
    assert credentials is None or credentials.access_key != settings.access_key_id


def test_local_clients_use_the_settings_and_no_botocore_retries(settings):
    client = client_factory(settings, concurrency=16)()
    assert client.meta.endpoint_url == settings.endpoint_url
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert client.meta.config.max_pool_connections == 16


def test_emit_file_sends_each_line_unchanged_to_each_stream(events_file, settings, helpers):
    fake = helpers.FakeFirehose(streams=("j", "p"))
    reports = emit_file(events_file, ["j", "p"], settings, clients=lambda: fake, concurrency=2)
    want = [b'{"a": 1}', b'{"b": 2}', b'{"c": 3}']
    assert fake.sent("j") == want and fake.sent("p") == want
    assert list(reports) == ["j", "p"]
    for report in reports.values():
        assert (report.sent, report.failed, report.rejected_oversize) == (3, 0, 1)
        assert report.records == 3 and report.batches == 1


def test_emit_file_defaults_to_both_streams_from_the_outputs(events_file, provisioned, helpers):
    fake = helpers.FakeFirehose(streams=("events_json", "events_parquet"))
    reports = emit_file(events_file, None, provisioned, clients=lambda: fake)
    assert list(reports) == ["events_json", "events_parquet"]


def test_a_missing_stream_fails_before_anything_is_sent(events_file, settings, helpers):
    fake = helpers.FakeFirehose(streams=("j",))
    with pytest.raises(StreamNotFoundError, match="delivery stream p not found; run `make up`"):
        emit_file(events_file, ["j", "p"], settings, clients=lambda: fake)
    assert fake.calls == []


def test_a_bad_line_fails_before_anything_is_sent(tmp_path, settings):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": \n')
    with pytest.raises(EmitError, match="line 2"):
        emit_file(path, ["s"], settings, clients=never_called)


def test_skipped_bad_lines_are_reported_per_stream(tmp_path, settings, helpers):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": \n')
    fake = helpers.FakeFirehose()
    report = emit_file(path, ["s"], settings, on_bad_line="skip", clients=lambda: fake)["s"]
    assert (report.sent, report.skipped_bad_lines) == (1, 1)


def test_append_newline_option(events_file, settings, helpers):
    fake = helpers.FakeFirehose()
    emit_file(events_file, ["s"], settings, append_newline=True, clients=lambda: fake)
    assert fake.sent() == [b'{"a": 1}\n', b'{"b": 2}\n', b'{"c": 3}\n']


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_emulator_is_a_clear_error(tmp_path, events_file):
    # A real boto3 client against a closed local port: connection refused, no LocalStack.
    settings = Settings(state_dir=tmp_path, port=free_port())
    with pytest.raises(EmulatorDownError, match=rf"no emulator at {settings.endpoint_url}; run"):
        emit_file(events_file, ["s"], settings)


def test_stream_names_from_the_outputs(provisioned):
    assert resolve_streams("json", provisioned) == ["events_json"]
    assert resolve_streams("parquet", provisioned) == ["events_parquet"]
    assert resolve_streams("both", provisioned) == ["events_json", "events_parquet"]


def test_stream_names_without_outputs_say_to_run_make_up(settings):
    with pytest.raises(EmitError, match="make up"):
        resolve_streams("both", settings)


def test_cli_refuses_aws_with_one_line(monkeypatch, tmp_path, events_file):
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SANDBOX_ENDPOINT_URL", "https://firehose.eu-west-1.amazonaws.com")
    result = CliRunner().invoke(emit_command, ["--file", str(events_file)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "--allow-aws" in result.output


def test_cli_reports_a_bad_line_with_its_number(monkeypatch, tmp_path, provisioned):
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(provisioned.state_dir))
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"a": 1}\n\nnot json\n')
    result = CliRunner().invoke(emit_command, ["--file", str(path), "--quiet"])
    assert result.exit_code == 1
    assert "line 3: not valid JSON" in result.output and "Traceback" not in result.output


def test_cli_reports_a_down_emulator(monkeypatch, provisioned, events_file):
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(provisioned.state_dir))
    monkeypatch.setenv("SANDBOX_PORT", str(free_port()))
    result = CliRunner().invoke(emit_command, ["--file", str(events_file), "-q"])
    assert result.exit_code == 1
    assert "no emulator at http://127.0.0.1:" in result.output


def test_cli_prints_one_summary_per_stream(monkeypatch, provisioned, events_file, helpers):
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(provisioned.state_dir))
    fake = helpers.FakeFirehose(streams=("events_json", "events_parquet"))
    monkeypatch.setattr("sandbox.emit.emitter.client_factory", lambda *a, **k: lambda: fake)
    result = CliRunner().invoke(emit_command, ["--file", str(events_file), "--stream", "json"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("events_json: sent 3/3, failed 0, retried 0, oversize 1")
    assert fake.sent("events_parquet") == []


def test_cli_exits_1_when_records_still_fail(monkeypatch, provisioned, events_file, helpers):
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(provisioned.state_dir))
    fake = helpers.FakeFirehose(
        streams=("events_json",), script=[helpers.fail_records(b'{"b": 2}')] * 2
    )
    monkeypatch.setattr("sandbox.emit.emitter.client_factory", lambda *a, **k: lambda: fake)
    result = CliRunner().invoke(
        emit_command, ["--file", str(events_file), "--stream", "json", "--max-attempts", "2"]
    )
    assert result.exit_code == 1
    assert "failed 1" in result.output
    assert "1 records were not accepted after 2 attempts (first lines: 2)" in result.output


def test_progress_bar_renders_without_a_terminal(events_file, settings, helpers, capsys):
    fake = helpers.FakeFirehose()
    reports = emit_file(events_file, ["s"], settings, progress=True, clients=lambda: fake)
    assert reports["s"].sent == 3
    assert "records/s" in capsys.readouterr().err


def test_progress_is_off_when_output_is_not_a_terminal(events_file, settings, helpers, capsys):
    fake = helpers.FakeFirehose()
    emit_file(events_file, ["s"], settings, clients=lambda: fake)  # pytest captures: no TTY
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_stream_kinds_name_the_three_streams() -> None:
    from sandbox.emit.emitter import stream_kinds

    assert stream_kinds("all") == ["json", "parquet", "iceberg"]
    assert stream_kinds("both") == ["json", "parquet"]
    assert stream_kinds("iceberg,json,iceberg") == ["iceberg", "json"]
    with pytest.raises(ValueError, match="comma-separated"):
        stream_kinds("json,avro")


def test_all_leaves_out_an_iceberg_stream_an_older_terraform_did_not_make(provisioned) -> None:
    # `provisioned`'s outputs predate the Iceberg stream: `all` sends to the two it has, and
    # naming the Iceberg stream says what to do.
    assert resolve_streams("all", provisioned) == ["events_json", "events_parquet"]
    with pytest.raises(EmitError, match=r"iceberg_stream_name is missing.*make up"):
        resolve_streams("json,iceberg", provisioned)

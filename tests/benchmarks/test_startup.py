"""The startup stage's targets and report rows (issue 17), from a made-up result."""

from __future__ import annotations

from benchmarks import startup

DOC = {
    "startup": {
        "runs": 3,
        "plain_healthy_seconds": 4.0,
        "sandbox_healthy_seconds": 5.5,
        "plain_idle_rss_bytes": 500e6,
        "sandbox_idle_rss_bytes": 540e6,
        "up_empty_seconds": 9.0,
        "up_restored_seconds": 4.5,
        "down_seconds": 3.5,
        "ingest_idle_rss_bytes": 600e6,
        "ingest_after_ingest_rss_bytes": 800e6,
    }
}


def test_each_target_is_judged_against_its_own_limit() -> None:
    verdicts = {t["name"]: (t["measured"], t["verdict"]) for t in startup.verdicts(DOC)}
    assert verdicts["make up, restored, nothing changed"] == ("4.5 s", "met")
    assert verdicts["make up, apply from empty state"] == ("9.0 s", "met")
    assert verdicts["healthy after start"] == ("5.5 s", "MISSED")  # plain 4.0 + 1 s
    assert verdicts["idle RSS 10 s after healthy"] == ("540 MB", "met")  # plain 500 + 50 MB
    assert verdicts["RSS 60 s after ingest + flush"] == ("800 MB", "met")  # 1.5 x 600 MB
    assert verdicts["make down, empty buffers"] == ("3.5 s", "MISSED")


def test_the_report_shows_plain_localstack_beside_the_sandbox() -> None:
    text = startup.markdown(DOC)
    assert "| healthy after start | 5.5 s | 4.0 s | ≤ plain LocalStack + 1 s | MISSED |" in text
    assert "median of 3 rounds" in text
    assert startup.markdown({}) == ""


def test_an_unmeasured_target_has_no_verdict() -> None:
    assert {t["verdict"] for t in startup.verdicts({"startup": {"runs": 1}})} == {"-"}

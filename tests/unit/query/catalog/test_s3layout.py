from __future__ import annotations

import pytest

from sandbox.query.catalog.s3layout import (
    S3Object,
    assign_to_locations,
    directory,
    escape_path_value,
    hive_path,
    is_hidden,
    list_objects,
    parse_hive_segment,
    split_s3_url,
)
from sandbox.query.errors import QueryError


def test_split_and_directory() -> None:
    assert split_s3_url("s3://b/a/b/") == ("b", "a/b/")
    assert split_s3_url("s3a://b") == ("b", "")
    assert directory("s3://b/events") == "s3://b/events/"
    with pytest.raises(QueryError):
        split_s3_url("https://b/a")


def test_hive_escaping_round_trip() -> None:
    assert escape_path_value("a=b/c:d") == "a%3Db%2Fc%3Ad"
    assert hive_path(["name", "d"], ["x", "2023-01-01"]) == "name=x/d=2023-01-01/"
    assert parse_hive_segment("name=a%3Db") == ("name", "a=b")
    assert parse_hive_segment("plain") is None


@pytest.mark.parametrize(
    ("relative", "hidden"),
    [
        ("name=x/d=y/file.gz", False),
        ("name=x/_SUCCESS", True),
        ("name=x/.part.crc", True),
        ("_tmp/name=x/file", True),
        ("name=x/", True),
        ("name=x_$folder$", True),
    ],
)
def test_hidden_objects(relative: str, hidden: bool) -> None:
    assert is_hidden(relative) is hidden


def test_assign_to_the_deepest_location() -> None:
    objects = [
        S3Object("s3://b/t/name=x/d=1/f1", 1),
        S3Object("s3://b/t/name=x/d=1/sub/f2", 2),
        S3Object("s3://b/t/name=x/d=1/_hidden/f3", 3),
        S3Object("s3://b/t/name=y/d=1/f4", 4),
        S3Object("s3://b/custom/f5", 5),
    ]
    groups = assign_to_locations(objects, ["s3://b/t/name=x/d=1/", "s3://b/custom"])
    assert [o.key for o in groups["s3://b/t/name=x/d=1/"]] == [
        "s3://b/t/name=x/d=1/f1",
        "s3://b/t/name=x/d=1/sub/f2",
    ]
    assert [o.key for o in groups["s3://b/custom"]] == ["s3://b/custom/f5"]


def test_list_objects_recurses_and_skips_hidden(s3: object) -> None:
    s3.create_bucket(Bucket="lake")  # type: ignore[attr-defined]
    for key in ("t/a=1/f", "t/a=1/deep/g", "t/_SUCCESS", "t/a=1/.crc", "other/h"):
        s3.put_object(Bucket="lake", Key=key, Body=b"xx")  # type: ignore[attr-defined]
    keys = [o.key for o in list_objects(s3, "s3://lake/t")]
    assert keys == ["s3://lake/t/a=1/deep/g", "s3://lake/t/a=1/f"]

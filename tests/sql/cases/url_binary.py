"""URL functions, binary functions and hashes."""

from tests.sql.harness import table

URL = "https://trino.io/docs/current/functions/url.html"
BINARY = "https://trino.io/docs/current/functions/binary.html"
U = "'http://example.com:80/path/x.html?x=1&y=2#frag'"

CASES = [
    *table(
        URL,
        [
            (f"url_extract_host({U})", "example.com"),
            (f"url_extract_port({U})", "80"),
            (f"url_extract_path({U})", "/path/x.html"),
            (f"url_extract_query({U})", "x=1&y=2"),
            (f"url_extract_fragment({U})", "frag"),
            (f"url_extract_protocol({U})", "http"),
            (f"url_extract_parameter({U}, 'y')", "2"),
            (f"url_extract_parameter({U}, 'z')", None),
            ("url_extract_port('http://example.com/')", None),
            ("url_extract_host('https://user@www.example.org/a?b=c')", "www.example.org"),
            ("url_extract_parameter('http://a.com/p?q=a%20b', 'q')", "a b"),
            ("url_encode('a b&c')", "a+b%26c"),
            ("url_encode('ü')", "%C3%BC"),
            ("url_encode('a-b_c.d*e~')", "a-b_c.d*e%7E"),
            ("url_decode('a+b%26c')", "a b&c"),
            ("url_decode('%C3%BC')", "ü"),
        ],
    ),
    *table(
        BINARY,
        [
            ("to_hex(to_utf8('abc'))", "616263"),
            ("from_hex('616263')", "61 62 63"),
            ("to_base64(to_utf8('abc'))", "YWJj"),
            ("from_base64('YWJj')", "61 62 63"),
            ("from_utf8(from_base64('YWJj'))", "abc"),
            ("to_hex(md5(to_utf8('abc')))", "900150983CD24FB0D6963F7D28E17F72"),
            ("to_hex(sha1(to_utf8('abc')))", "A9993E364706816ABA3E25717850C26C9CD0D89D"),
            (
                "to_hex(sha256(to_utf8('abc')))",
                "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
            ),
            ("length(to_utf8('abc'))", "3"),
            ("length(to_utf8('ü'))", "2"),
            ("crc32(to_utf8('abc'))", "891568578"),
            ("X'61'", "61"),
            ("concat(X'61', X'62')", "61 62"),
            ("lower(to_hex(X'ABCD'))", "abcd"),
            ("to_base64url(X'FBFF')", "-_8="),
            ("from_base64url('-_8=')", "fb ff"),
            ("reverse(X'0102')", "02 01"),
            ("typeof(X'61')", "varbinary"),
        ],
    ),
]

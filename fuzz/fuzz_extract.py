"""An atheris fuzz target for the extractors: any bytes, read as a page, must extract without
raising and give results of the declared shapes.

    python fuzz/fuzz_extract.py -max_total_time=60      (CI runs it for 60 s)
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import extract
    from extract.feeds import extract_comment_feed, extract_feed

URL = "https://fuzz.example.org/2024/01/post.html"


def test_one_input(data: bytes) -> None:
    html = data.decode("utf-8", errors="replace")
    page = extract.extract_page(html, URL)
    assert isinstance(page.forms, tuple) and isinstance(page.blog_links, tuple)
    for form in page.forms:
        assert form.field_count == len(form.fields)
    for observation in page.key_observations:
        assert observation.position >= 1
    extract_feed(data, URL)
    extract_comment_feed(data, URL)
    extract.clear_caches()


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

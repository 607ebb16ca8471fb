"""Every sink an identifier reaches: a URL path segment, a file, a link in a message."""

from __future__ import annotations

import pytest

from matrix_social.ai.backends import HttpBackend
from matrix_social.content.compose import repost_content
from matrix_social.errors import BackendError, Forbidden
from matrix_social.http_client import HttpClient
from matrix_social.safe_paths import file_in, safe_segment, url_segment

TRAVERSALS = ["..", ".", "a/b", "x/../alice", "a\\b", "a\x00b", "tab\there", "", "a" * 300]


@pytest.mark.parametrize("value", TRAVERSALS)
def test_traversing_values_are_refused_for_urls_and_files(value, tmp_path):
    assert safe_segment(value) is None
    with pytest.raises(Forbidden):
        url_segment(value)
    with pytest.raises(Forbidden):
        file_in(str(tmp_path / "souls" / "{localpart}.md"), value)


def test_ordinary_localparts_pass_and_are_escaped_for_urls(tmp_path):
    assert url_segment("alice") == "alice"
    assert url_segment("a=b+c") == "a%3Db%2Bc"
    assert file_in(str(tmp_path / "{localpart}.md"), "al.ice") == tmp_path / "al.ice.md"


def test_a_file_template_cannot_be_left_through_a_symlinked_name(tmp_path):
    (tmp_path / "souls").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "souls" / "link.md").symlink_to(tmp_path / "outside" / "secret.md")
    with pytest.raises(Forbidden):
        file_in(str(tmp_path / "souls" / "{localpart}.md"), "link")


async def test_the_agent_url_never_carries_a_traversing_localpart():
    http = HttpClient()
    await http.start()
    try:
        backend = HttpBackend(http, "http://127.0.0.1:9/agents/{localpart}/matrix", 1)
        with pytest.raises(BackendError, match="no agent URL"):
            await backend.answer({"ai": {"owner_localpart": "x/../alice"}})
    finally:
        await http.stop()


def test_links_in_a_repost_fallback_are_escaped():
    content = repost_content("!room/../x:server", "$ev?x=1#frag", "@a:b", "text", "")
    assert "https://matrix.to/#/%21room%2F..%2Fx%3Aserver/%24ev%3Fx%3D1%23frag" in \
        content["body"]

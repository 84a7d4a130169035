"""``transform_index_html`` as in Vite: ``order`` ``"pre"``/``"post"``, and where the tags of a
result go (``head``, ``head-prepend``, ``body``, ``body-prepend``) on whole and partial pages."""

from __future__ import annotations

import logging

import pytest

from prebundle.plugins import Plugin, PluginContainer, PluginError, apply_tags
from prebundle.plugins.html import IndexHtmlContext

TAGS = [
    {"tag": "meta", "attrs": {"name": "a"}, "inject_to": "head-prepend"},
    {"tag": "meta", "attrs": {"name": "b"}, "injectTo": "head-prepend"},  # Vite's spelling too
    {"tag": "script", "attrs": {"src": "/c.js"}},  # head, the default
    {"tag": "i", "children": "d", "inject_to": "body-prepend"},
    {"tag": "i", "children": "e", "inject_to": "body-prepend"},
    {"tag": "b", "children": "f", "inject_to": "body"},
]


@pytest.mark.parametrize("page, expected", [
    ("<!doctype html><html><head><title>t</title></head><body><p>x</p></body></html>",
     '<!doctype html><html><head><meta name="a"><meta name="b"><title>t</title><script src="/c.js"></script>'
     "</head><body><i>d</i><i>e</i><p>x</p><b>f</b></body></html>"),
    # no <body>: body-prepend after </head>, body before </html>
    ("<html><head></head><p>x</p></html>",
     '<html><head><meta name="a"><meta name="b"><script src="/c.js"></script></head><i>d</i><i>e</i>'
     "<p>x</p><b>f</b></html>"),
    # no <head>: head tags before <body>, head-prepend after <html>
    ("<html><body><p>x</p></body></html>",
     '<html><meta name="a"><meta name="b"><script src="/c.js"></script><body><i>d</i><i>e</i><p>x</p><b>f</b>'
     "</body></html>"),
    # a fragment: each group at the top, body tags at the end
    ("<p>x</p>",
     '<i>d</i><i>e</i><script src="/c.js"></script><meta name="a"><meta name="b"><p>x</p><b>f</b>'),
])
def test_tags_of_a_result_keep_their_order_at_each_position(page: str, expected: str) -> None:
    assert apply_tags(page, TAGS) == expected


def test_order_pre_and_post_run_around_the_others() -> None:
    def mark(label: str):
        return lambda html, ctx: html.replace("</body>", f"{label}</body>")

    container = PluginContainer([
        Plugin("late", transform_index_html={"order": "post", "handler": mark("late,")}),
        Plugin("plain", transform_index_html=mark("plain,")),
        Plugin("early", transform_index_html={"order": "pre", "handler": mark("early,")}),
    ])
    page = "<body></body>"
    ctx = IndexHtmlContext(path="/", filename=None)
    assert container.transform_index_html(page, ctx) == "<body>early,plain,late,</body>"
    assert container.transform_index_html(page, ctx, orders=("pre",)) == "<body>early,</body>"
    assert container.transform_index_html(page, ctx, orders=(None, "post")) == "<body>plain,late,</body>"


def test_bad_tags_name_the_plugin_and_misplaced_ones_warn(caplog) -> None:
    bad = PluginContainer([Plugin("tags", transform_index_html=lambda html, ctx: [{"tag": "p", "inject_to": "top"}])])
    with pytest.raises(PluginError, match=r"^\[plugin tags\] transform_index_html returned a bad tag: inject_to must be"):
        bad.transform_index_html("<head></head>", None)

    misplaced = PluginContainer([Plugin("banner", transform_index_html=lambda html, ctx: [
        {"tag": "div", "children": "hi", "inject_to": "head-prepend"}, {"tag": "meta", "attrs": {"x": "1"}}])])
    with caplog.at_level(logging.WARNING, logger="prebundle"):
        assert misplaced.transform_index_html("<head></head>", None) == '<head><div>hi</div><meta x="1"></head>'
    assert caplog.messages == ["warning: [plugin banner] transform_index_html put <div> into <head>, where browsers "
                               "move it to <body>; check inject_to"]

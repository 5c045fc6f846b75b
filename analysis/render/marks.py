"""Details on every mark: a hover title for each bar, whisker, band segment and marker of a
chart, and the chart's SVG made fit to sit inline in an HTML brief.

A chart names a mark with `titled(fig, artist, text)`: the artist gets a group id
(matplotlib's public `set_gid`), and the figure remembers the text under that id. Once
matplotlib has written the SVG, `with_titles` adds a `<title>` child to each named group.
Browsers show it when the pointer rests on the mark; no script is involved. ElementTree
writes the text, so text from the data (a claim's description) is escaped as XML.

`inline_svg` turns that SVG into markup for an HTML page whose Content-Security-Policy
allows no inline styles: matplotlib writes every colour and font as a `style` attribute
and one `<style>` element, which such a policy would ignore (black shapes, default
fonts). Each declaration becomes the SVG presentation attribute of the same name, which
no policy governs, and an unknown one is an error rather than a silently wrong chart. Ids
that nothing refers to are dropped, and the rest take a prefix, so that several charts
on one page never share an id.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
TITLE = f"{{{SVG_NS}}}title"
PREFIXES = {"": SVG_NS, "xlink": "http://www.w3.org/1999/xlink",
            "cc": "http://creativecommons.org/ns#"}  # cc: in matplotlib's metadata


def _tostring(root: ET.Element, **options):
    """The SVG with its elements written without a prefix, as matplotlib writes them.
    ElementTree keeps prefixes in one registry for the whole process, which another
    library may change (registering a prefix for the SVG namespace), so they are set
    again before each write. (ElementTree's `default_namespace` argument refuses
    attributes without a namespace, which SVG's are.)"""
    for prefix, uri in PREFIXES.items():
        ET.register_namespace(prefix, uri)
    return ET.tostring(root, **options)

# The declarations matplotlib's SVG writer uses, each an SVG presentation attribute.
PRESENTATION_ATTRIBUTES = frozenset({
    "clip-path", "fill", "fill-opacity", "fill-rule", "font-family", "font-size",
    "font-style", "font-weight", "opacity", "stroke", "stroke-dasharray",
    "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
    "stroke-opacity", "stroke-width", "text-anchor", "font-variant", "font-stretch",
    "letter-spacing", "dominant-baseline", "alignment-baseline", "visibility", "display",
})
_REFERENCE = re.compile(r"url\(#([^)]+)\)")


def titled(fig, artist, text: str):
    """Give `artist` the hover title `text` in the figure's SVG; returns the artist."""
    titles = fig.__dict__.setdefault("mark_titles", {})
    gid = f"mark-{len(titles) + 1}"
    artist.set_gid(gid)
    titles[gid] = str(text)
    return artist


def mark_titles(fig) -> dict[str, str]:
    return fig.__dict__.get("mark_titles", {})


def with_titles(svg: bytes, titles: dict[str, str]) -> bytes:
    """matplotlib's SVG with a `<title>` first in each group whose id `titles` names."""
    if not titles:
        return svg
    root = ET.fromstring(svg)
    for element in [e for e in root.iter() if e.get("id", "") in titles]:
        title = ET.Element(TITLE)
        title.text = titles[element.get("id")]
        element.insert(0, title)
    return _tostring(root, encoding="utf-8", xml_declaration=True)


def _declarations(style: str) -> list[tuple[str, str]]:
    pairs = []
    for part in filter(None, (p.strip() for p in style.split(";"))):
        name, _, value = part.partition(":")
        name, value = name.strip(), value.strip()
        if name not in PRESENTATION_ATTRIBUTES or not value:
            raise ValueError(f"SVG style {part!r} has no presentation attribute")
        pairs.append((name, value))
    return pairs


def inline_svg(svg: bytes, label: str = "") -> str:
    """The SVG as an `<svg>` element for an HTML page: no XML declaration, metadata,
    `<style>` element or `style` attribute, ids unique to this chart, and `label` (the
    chart's alt text) as its accessible name."""
    root = ET.fromstring(svg)
    prefix = "c" + hashlib.sha256(svg).hexdigest()[:10] + "-"
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == f"{{{SVG_NS}}}metadata":
                parent.remove(child)
            elif child.tag == f"{{{SVG_NS}}}style":
                # matplotlib's one rule, `*{...}`, sets defaults for every shape: the
                # root's inherited attributes do the same, and no more.
                rule = re.fullmatch(r"\s*\*\s*\{([^}]*)\}\s*", child.text or "")
                if rule is None:
                    raise ValueError(f"SVG style element {child.text!r} is not one rule for *")
                for name, value in _declarations(rule.group(1)):
                    root.set(name, value)
                parent.remove(child)
    referenced = set()
    for element in root.iter():
        href = element.get(XLINK_HREF, "")
        if href.startswith("#"):
            referenced.add(href[1:])
        for value in element.attrib.values():
            referenced.update(_REFERENCE.findall(value))
    for element in root.iter():
        style = element.attrib.pop("style", None)
        if style:
            for name, value in _declarations(style):
                element.set(name, value)
        if "id" in element.attrib:
            if element.get("id") in referenced:
                element.set("id", prefix + element.get("id"))
            else:
                del element.attrib["id"]
        href = element.get(XLINK_HREF, "")
        if href.startswith("#"):
            element.set(XLINK_HREF, "#" + prefix + href[1:])
        for name, value in element.attrib.items():
            if "url(#" in value:
                element.set(name, _REFERENCE.sub(lambda m: f"url(#{prefix}{m.group(1)})",
                                                 value))
    root.set("class", "chart-svg")
    if label:
        root.set("role", "img")
        root.set("aria-label", label)
    return _tostring(root, encoding="unicode")

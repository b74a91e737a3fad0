from lxml import etree

PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


def feed_titles(body: bytes) -> list[str]:
    root = etree.fromstring(body, PARSER)
    return [t.text or "" for t in root.iter("title")]


def latest_title(body: bytes) -> str | None:
    titles = feed_titles(body)
    return titles[0] if titles else None

"""Text from an export shown in Streamlit's markdown (titles, captions, messages, metric labels).

Streamlit renders those as markdown: a CRM account called ``[Pay here](http://evil.example)`` or
``![x](http://tracker/pixel.png)`` would become a live link or an image fetched from the network.
``plain`` backslash-escapes every markdown punctuation character (CommonMark: any ASCII
punctuation may be escaped), so the name is shown as typed and nothing in it is markup.
"""

from __future__ import annotations

import re

# CommonMark's escapable characters: every ASCII punctuation mark. "." and ":" too, which keeps
# GFM's autolinks ("www.x.example", "http://...") from turning bare addresses into links.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def plain(text: object) -> str:
    """``text`` as markdown that shows exactly ``text``: no link, image, emphasis or HTML."""
    return _PUNCTUATION.sub(r"\\\1", str(text)).replace("\n", " ")

"""ISO 8601 dates at the precision the source gives (year, month, day, date-time).

Precision is kept rather than padded: "2022-01" means January 2022, not the 1st of January.
Each value also carries the first and last day it can mean, so that filters and sorting work
across precisions.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

from .records import DateValue

# ASCII digits only (\d alone takes ٢٠٢٣ as a year), and \Z: "$" also matches before a final newline
_YEAR = re.compile(r"^(\d{4})\Z", re.ASCII)
_MONTH = re.compile(r"^(\d{4})-(\d{2})\Z", re.ASCII)
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\Z", re.ASCII)
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?\Z", re.ASCII
)


def parse_date(text: str) -> DateValue:
    """Parse an ISO 8601 date; raise ValueError with a readable reason."""
    s = text.strip()
    if m := _YEAR.match(s):
        y = int(m[1])
        return DateValue(s, "gYear", date(y, 1, 1), date(y, 12, 31))
    if m := _MONTH.match(s):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise ValueError(f"month {mo} out of range in {s!r}")
        return DateValue(s, "gYearMonth", date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]))
    if _DAY.match(s):
        try:
            d = date.fromisoformat(s)
        except ValueError as e:
            raise ValueError(f"{s!r} is not a calendar date ({e})") from None
        return DateValue(s, "date", d, d)
    if _DATETIME.match(s):
        try:
            dt = datetime.fromisoformat(s.replace(" ", "T").replace("Z", "+00:00"))
        except ValueError as e:
            raise ValueError(f"{s!r} is not a valid date-time ({e})") from None
        lexical = s.replace(" ", "T")
        if len(lexical) == 16 or (len(lexical) > 16 and lexical[16] in "Z+-"):
            lexical = lexical[:16] + ":00" + lexical[16:]  # xsd:dateTime needs seconds
        return DateValue(lexical, "dateTime", dt.date(), dt.date())
    raise ValueError(f"{s!r} is not an ISO 8601 date (use 2023, 2023-11, 2023-11-22 or 2023-11-22T10:00:00)")

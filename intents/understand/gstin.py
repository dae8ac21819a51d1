"""GSTINs (format and the official mod-36 check character) and Indian states.

A GSTIN is 15 characters: 2-digit state code, 10-character PAN, entity
number, "Z" by default, and a check character. `valid_gstin("27AAPFU0939F1ZV")`.
"""

from __future__ import annotations

import re

_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FORMAT = re.compile(r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][A-Z0-9][0-9A-Z]")
#: loose shape used to *find* a GSTIN in text (validity is checked separately)
_IN_TEXT = re.compile(r"\b[0-9]{2}[A-Za-z]{5}[0-9]{4}[A-Za-z][0-9A-Za-z]{3}\b")

STATE_CODES: dict[str, str] = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "97": "Other Territory",
    "99": "Centre Jurisdiction",
}
_EXTRA_NAMES: dict[str, str] = {
    "j&k": "01",
    "jammu & kashmir": "01",
    "jammu kashmir": "01",
    "kashmir": "01",
    "himachal": "02",
    "uttaranchal": "05",
    "new delhi": "07",
    "nct of delhi": "07",
    "up": "09",
    "u.p.": "09",
    "orissa": "21",
    "chattisgarh": "22",
    "chhatisgarh": "22",
    "mp": "23",
    "m.p.": "23",
    "daman": "26",
    "diu": "26",
    "dadra": "26",
    "daman and diu": "26",
    "dadra and nagar haveli": "26",
    "bengal": "19",
    "wb": "19",
    "tamilnadu": "33",
    "tn": "33",
    "pondicherry": "34",
    "pondy": "34",
    "andaman": "35",
    "andhra": "37",
    "ap": "37",
    "bangalore": "29",
    "bengaluru": "29",
    "mumbai": "27",
    "bombay": "27",
    "pune": "27",
    "nagpur": "27",
    "chennai": "33",
    "hyderabad": "36",
    "kolkata": "19",
    "ahmedabad": "24",
    "surat": "24",
    "jaipur": "08",
    "lucknow": "09",
    "patna": "10",
    "bhopal": "23",
    "indore": "23",
    "kochi": "32",
    "cochin": "32",
    "thiruvananthapuram": "32",
    "gurgaon": "06",
    "gurugram": "06",
    "noida": "09",
    "ghaziabad": "09",
    "chandigarh": "04",
    "maharastra": "27",
    "karnatak": "29",
    "gujrat": "24",
    "rajsthan": "08",
    "telengana": "36",
    "kerela": "32",
}
#: state abbreviations (vehicle and GST style); only when a state is asked for, never found in free text
_CODES: dict[str, str] = {
    "jk": "01", "hp": "02", "pb": "03", "uk": "05", "hr": "06", "dl": "07", "rj": "08", "br": "10", "sk": "11",
    "ar": "12", "nl": "13", "mn": "14", "mz": "15", "tr": "16", "ml": "17", "as": "18", "jh": "20", "od": "21",
    "or": "21", "cg": "22", "ct": "22", "gj": "24", "dnh": "26", "mh": "27", "ka": "29", "kar": "29", "ga": "30",
    "ld": "31", "kl": "32", "py": "34", "an": "35", "ts": "36", "tg": "36", "la": "38", "maha": "27",
}
#: lowercase name -> state code; two-letter abbreviations only when asked for (they are common words)
_NAME_TO_CODE: dict[str, str] = {v.lower(): k for k, v in STATE_CODES.items() if k not in ("97", "99")}
_NAME_TO_CODE.update({k: v for k, v in _EXTRA_NAMES.items() if len(k) > 3})
_ABBREVIATIONS = {k: v for k, v in _EXTRA_NAMES.items() if len(k) <= 4 and k not in _NAME_TO_CODE} | _CODES
_STATE_IN_TEXT = re.compile(
    r"\b(" + "|".join(re.escape(n) for n in sorted(_NAME_TO_CODE, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def gstin_check_char(first14: str) -> str:
    """The mod-36 check character for the first 14 characters of a GSTIN."""
    total = 0
    for i, ch in enumerate(first14.upper()):
        product = _CHARS.index(ch) * (1 if i % 2 == 0 else 2)
        total += product // 36 + product % 36
    return _CHARS[(36 - total % 36) % 36]


def valid_gstin(s: str | None) -> bool:
    """True when `s` has the GSTIN format, a known state code and the right check character."""
    if not s:
        return False
    g = s.strip().upper()
    if len(g) != 15 or not _FORMAT.fullmatch(g) or g[:2] not in STATE_CODES:
        return False
    return gstin_check_char(g[:14]) == g[14]


def find_gstin(text: str) -> str | None:
    """The first GSTIN-shaped token in `text`, uppercased (checksum not required: see `valid_gstin`)."""
    m = _IN_TEXT.search(text)
    return m.group(0).upper() if m else None


def state_from_gstin(gstin: str) -> str | None:
    """State name for a GSTIN's first two digits."""
    return STATE_CODES.get(gstin.strip()[:2]) if gstin else None


def state_code(name: str, allow_abbreviations: bool = True) -> str | None:
    """Two-digit GST state code for a state name or common spelling ("Tamilnadu" -> "33")."""
    n = re.sub(r"\s+", " ", name.strip().lower().rstrip("."))
    if n in _NAME_TO_CODE:
        return _NAME_TO_CODE[n]
    if allow_abbreviations and n in _ABBREVIATIONS:
        return _ABBREVIATIONS[n]
    return None


def normalize_state(name: str, allow_abbreviations: bool = True) -> str | None:
    """Official state name for a spelling, city or abbreviation; None when unknown."""
    code = state_code(name, allow_abbreviations)
    return STATE_CODES[code] if code else None


def find_state(text: str) -> str | None:
    """The first state (or big city's state) named in `text`, as the official state name."""
    m = _STATE_IN_TEXT.search(text)
    return STATE_CODES[_NAME_TO_CODE[m.group(1).lower()]] if m else None

"""Amounts as people read them: minor units (integers, in every field) written in the brand's
currency for messages and reasons, `¥70.00` for 7000 fen, `¥700` for 700 yen."""

from __future__ import annotations

# ISO 4217 minor units where they are not two (the currencies a brand is likely to run in).
_EXPONENTS = {
    **dict.fromkeys(("JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
_SYMBOLS = {
    "CNY": "¥",
    "JPY": "¥",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "HKD": "HK$",
    "MOP": "MOP$",
    "TWD": "NT$",
    "SGD": "S$",
    "AUD": "A$",
    "CAD": "CA$",
    "NZD": "NZ$",
    "KRW": "₩",
    "MYR": "RM",
    "THB": "฿",
    "INR": "₹",
    "VND": "₫",
    "PHP": "₱",
}


def exponent(currency: str) -> int:
    """Digits after the decimal point in `currency`'s minor unit (2 unless ISO 4217 says)."""
    return _EXPONENTS.get(currency, 2)


def decimal_amount(amount: int, currency: str = "") -> str:
    """Minor units as a plain decimal: 12800 -> "128.00" (CNY), 700 -> "700" (JPY)."""
    digits = exponent(currency)
    sign, whole = ("-" if amount < 0 else ""), abs(amount)
    if digits == 0:
        return f"{sign}{whole}"
    unit = 10**digits
    return f"{sign}{whole // unit}.{whole % unit:0{digits}d}"


def money(amount: int, currency: str) -> str:
    """Minor units in the currency, for a person: ¥128.00, $5.00, HK$1.50, ¥700 (JPY);
    a currency without a symbol here is written by its code: `CHF 12.00`."""
    symbol = _SYMBOLS.get(currency)
    number = decimal_amount(abs(amount), currency)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency} {number}".strip()

"""How the numeric arguments of a distribution are written in LaTeX and text."""

import math


def format_number(value):
    r"""Short LaTeX/plain form of a number: 40, 0.5, 10^{-3}.

    Examples
    --------
    >>> format_number(40.0), format_number(0.5), format_number(1e-3), format_number(5e-6)
    ('40', '0.5', '10^{-3}', '5 \\times 10^{-6}')
    """
    value = float(value)
    if value == int(value) and abs(value) < 1e5:
        return str(int(value))
    exponent = math.floor(math.log10(abs(value))) if value != 0 else 0
    mantissa = value / 10.0**exponent
    if abs(exponent) >= 3 and math.isclose(mantissa, round(mantissa)):
        sign = "-" if value < 0 else ""
        if abs(round(mantissa)) == 1:
            return f"{sign}10^{{{exponent}}}"
        return f"{round(mantissa)} \\times 10^{{{exponent}}}"
    return f"{value:g}"

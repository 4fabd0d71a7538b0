"""motionlab's benchmark suite: ``python -m bench`` (or ``make bench``) runs every module in
`bench.__main__.SUITE` and prints one table of measured numbers; each module also runs alone
(``python -m bench.<module>``)."""

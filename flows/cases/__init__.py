"""The life of a case, from a finding to money: the room of the money path.

findings     rule_hits become this month's cases and exceptions (sql/cases/findings/);
follow_up    escalation, 停发/调整 actions, recovery entries, notices issued (the only step
             after matching that changes case state; reports only read);
decisions    returned sheets and ledgers recorded, conflicts settled; township: `dibao decide`;
recovery     追回 and 核销 against a case's overpaid balance; record: appending decisions;
audit        who did what, from which file.

Returned village sheets and ledgers are untrusted input from outside the office: they are
checked (`returned_file`: limits, the seal of `seal`, one row scaffold; `village_sheets`,
`ledger_sheets`) and who may decide what is checked before anything is recorded.
"""

# How a case's status reads to an office (review notebook, console).
STATUS_ZH = {"new": "新发现", "open": "持续", "confirmed": "已核实属实", "false_positive": "已核实不属实",
             "resolved": "已消除", "disputed": "村报不属实待镇复核"}

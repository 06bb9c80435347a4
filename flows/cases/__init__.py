"""The life of a case once it is found: who may decide it, and from which papers.

Returned village sheets and ledgers are untrusted input from outside the office; this
package checks them (`seal`, `returned_file`) and decides who may decide what
(`authority`) before anything is recorded.
"""

# How a case's status reads to an office (review notebook, console).
STATUS_ZH = {"new": "新发现", "open": "持续", "confirmed": "已核实属实", "false_positive": "已核实不属实",
             "resolved": "已消除", "disputed": "村报不属实待镇复核"}

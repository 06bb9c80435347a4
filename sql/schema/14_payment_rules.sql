-- payment_rules: which findings, once confirmed (属实), change a payment, and how.
-- 停发: the person's (or, for 渐退期满, the household's) benefit stops; 调整: the household's
-- 保障人数 and amount are recalculated.  The one place escalation, action lists and
-- recovery read this from.
create or replace table payment_rules as
select * from (values
    ('DECEASED_PAID',          '停发', '经核实已死亡',                       'person'),
    ('DECEASED_SUSPECT',       '停发', '经核实已死亡',                       'person'),
    ('DUPLICATE_BENEFIT',      '停发', '经核实重复享受救助',                 'person'),
    ('MOVED_OUT',              '停发', '经核实户籍已迁出',                   'person'),
    ('GRADUAL_EXIT_OVERDUE',   '停发', '渐退期已满',                         'household'),
    ('HOUSEHOLD_SIZE_CHANGED', '调整', '经核实家庭人口发生变化',             'household')
) t(rule, action, reason_zh, scope);

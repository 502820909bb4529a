-- Who the money reaches: recipients and value per programme × year × kabupaten/kota ×
-- desil of the recipient's household (in each period's reference snapshot), with
-- `belum_diperingkat` for unranked households and `tidak_padan` for recipients not in DTSEN.
with

recipients as (

    select
        kode_program,
        tahun,
        substring(kode_wilayah_tempat, 1, 4) as kode_wilayah,
        case
            when not is_padan then 'tidak_padan'
            when desil is null then 'belum_diperingkat'
            else cast(desil as string)
        end as kategori_desil,
        desil,
        kunci_unit,
        nilai_bantuan

    from {{ ref('int_program_recipients') }}

),

counted as (

    select
        kode_program,
        tahun,
        kode_wilayah,
        kategori_desil,
        any_value(desil) as desil,
        count(distinct kunci_unit) as jumlah_penerima,
        sum(nilai_bantuan) as nilai_bantuan

    from recipients
    group by 1, 2, 3, 4

),

final as (

    select
        counted.kode_program,
        programs.nama_program,
        counted.tahun,
        'kabkota' as tingkat_wilayah,
        counted.kode_wilayah,
        wilayah.nama_wilayah,
        counted.kategori_desil,
        counted.desil,
        cast(counted.jumlah_penerima as bigint) as jumlah_penerima,
        counted.nilai_bantuan,
        100e0 * counted.jumlah_penerima
            / sum(counted.jumlah_penerima) over programme_region as persen_penerima,
        100e0 * counted.nilai_bantuan
            / nullif(sum(counted.nilai_bantuan) over programme_region, 0) as persen_nilai_bantuan

    from counted
    left join {{ ref('dim_program') }} as programs
        on counted.kode_program = programs.kode_program
    left join {{ ref('dim_wilayah') }} as wilayah
        on counted.kode_wilayah = wilayah.kode_wilayah
    window programme_region as (
        partition by counted.kode_program, counted.tahun, counted.kode_wilayah
    )

)

select
    final.*,
    incomplete.catatan_kelengkapan is null as is_data_lengkap,
    incomplete.catatan_kelengkapan

from final
-- DESIGN §4: a held-back roster file marks its programme × year incomplete (any tahap)
left join (
    select
        kode_program,
        tahun,
        {{ string_agg_ordered('catatan_kelengkapan', "' '", ['tahap']) }} as catatan_kelengkapan
    from {{ ref('int_roster_periods_incomplete') }}
    group by kode_program, tahun
) as incomplete
    on final.kode_program = incomplete.kode_program
    and final.tahun = incomplete.tahun

"""Name lists for the demo registry.

A modest, plausible set per cultural area, so that a roster printed for field verification
looks like the places it claims to come from:

- ``timor``: Kota Kupang, Kabupaten Kupang, Timor Tengah Selatan — Christian given names and
  Timorese/Rotenese/Sabu clan names (Ndun, Lay, Tefa, Nenobais, …) passed from father to
  children.
- ``sumba``: Sumba Barat, Sumba Tengah, Sumba Timur — Christian given names and Sumbanese
  names (Hamba, Ndapa, Kaborang, …), also used as family names.
- ``kalimantan``: Bontang, Kutai Kartanegara, Bengkayang — Malay/Banjar/Kutai, Javanese,
  Bugis and Dayak names; two given names per person, no inherited family name.

The lists are data, not logic: the generator picks indices into them with numpy.
"""

from __future__ import annotations


def _names(text: str) -> tuple[str, ...]:
    """Comma-separated names → tuple (keeps the lists compact and multi-word names intact)."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


#: Region code (kabupaten/kota) → cultural area.
REGION_GROUP: dict[str, str] = {
    "5371": "timor",
    "5301": "timor",
    "5302": "timor",
    "5312": "sumba",
    "5317": "sumba",
    "5311": "sumba",
    "6474": "kalimantan",
    "6107": "kalimantan",
    "6402": "kalimantan",
}

_NTT_MALE = _names(
    """
    Yohanes, Fransiskus, Petrus, Paulus, Yosef, Markus, Daniel, Yakobus, Agustinus,
    Simon, Stefanus, Aleksander, Matius, Lukas, Andreas, Benediktus, Kornelis,
    Melkianus, Yermias, Obed, Habel, Marthen, Yusuf, Nikolaus, Dominggus, Frengki,
    Roni, Ferdinandus, Yunus, Elias, Samuel, Imanuel, Adrianus, Gabriel, Marselinus,
    Viktor
    """
)
_NTT_FEMALE = _names(
    """
    Maria, Yuliana, Agustina, Margaretha, Elisabeth, Katarina, Theresia, Fransiska,
    Yohana, Magdalena, Anastasia, Adriana, Debora, Ester, Ribka, Sara, Marta,
    Selfina, Yuliani, Orpa, Naomi, Lidia, Mariana, Florida, Veronika, Yasinta,
    Serlince, Novita, Imelda, Kristina, Angelina, Welmince
    """
)

FIRST_NAMES: dict[str, dict[int, tuple[str, ...]]] = {
    "timor": {1: _NTT_MALE, 2: _NTT_FEMALE},
    "sumba": {
        1: _NTT_MALE + ("Umbu Yohanes", "Umbu Petrus", "Umbu Ndeta", "Lede", "Dapa", "Ndara"),
        2: _NTT_FEMALE + ("Rambu Maria", "Rambu Ana", "Rambu Yuliana", "Kahi", "Hana", "Lika"),
    },
    "kalimantan": {
        1: _names(
            """
    Muhammad, Ahmad, Abdul, Rizky, Agus, Budi, Andi, Hendra, Fajar, Syahrul, Irwan,
    Rudi, Dedi, Yusran, Hairul, Darmawan, Sulaiman, Rahmat, Arif, Bayu, Wahyu, Eko,
    Slamet, Yohanes, Antonius, Stefanus, Aloysius, Apui, Ajang, Yakobus, Iskandar,
    Hasanuddin
    """
        ),
        2: _names(
            """
    Siti, Nur, Rina, Dewi, Sri, Fitri, Aisyah, Fatimah, Wulan, Yuliana, Maria, Erna,
    Herlina, Kartini, Suriani, Hasnah, Marlina, Ani, Dian, Rosmini, Nurul, Halimah,
    Kristina, Lusia, Mariani, Jamilah, Rusmini, Sumiati
    """
        ),
    },
}

#: Family names (timor, sumba) or second given names (kalimantan, per sex).
LAST_NAMES: dict[str, dict[int, tuple[str, ...]]] = {
    "timor": {
        0: _names(
            """
    Ndun, Lay, Tefa, Nenobais, Benu, Kase, Manafe, Bria, Nitbani, Toy, Tanesib,
    Nubatonis, Taneo, Selan, Boimau, Tallo, Pello, Lado, Haning, Ndolu, Manu,
    Nomleni, Tunliu, Amalo, Fanggidae, Messakh, Mooy, Koroh, Sinlae, Oematan, Neno,
    Banunaek, Tiran, Bani, Bessie, Liu, Kolo, Seran, Nalle, Radja
    """
        ),
    },
    "sumba": {
        0: _names(
            """
    Kaborang, Hamba, Ndapa, Tara, Lede, Malo, Dapa, Bili, Kondi, Wolu, Ngongo, Ate,
    Pati, Mete, Nggiku, Tanggu, Hina, Kahi, Rihi, Djawa, Ndakularak, Mbilijora,
    Lunggi, Rohi, Kandunu, Lero, Kapoe, Lomi, Kedu, Wora, Bulu, Kaleka
    """
        ),
    },
    "kalimantan": {
        1: _names(
            """
    Saputra, Hidayat, Santoso, Rahman, Setiawan, Pratama, Kurniawan, Nugroho,
    Firmansyah, Ramadhan, Syahputra, Hakim, Wijaya, Anwar, Apui, Ajang, Lawing, Ding,
    Jalung, Bato, Salim, Effendi
    """
        ),
        2: _names(
            """
    Sari, Lestari, Wati, Rahmawati, Handayani, Puspita, Susanti, Anggraini, Yanti,
    Wulandari, Novita, Nurhayati, Aminah, Zulaikha, Hasanah, Safitri, Ningsih, Uyang,
    Lenggang
    """
        ),
    },
}

#: Areas whose last name is a family name shared by the head's children and grandchildren.
FAMILY_NAME_GROUPS: frozenset[str] = frozenset({"timor", "sumba"})

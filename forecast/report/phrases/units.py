"""Units, statistical series and comparators in words."""

UNITS: dict[str, tuple[str, str]] = {
    "firms": ("家", "firms"),
    "firms_per_1000_enterprises": ("家/千家企业", "per 1,000 registered firms"),
    "10k_yuan": ("万元", "10,000 yuan"),
    "points": ("分", "points"),
    "firms_per_year": ("家/年", "firms per year"),
    "100m_yuan": ("亿元", "100 million yuan"),
    "10k_yuan_per_person": ("万元/人", "10,000 yuan per person"),
    "10k_persons": ("万人", "10,000 persons"),
    "percent": ("%", "%"),
    "per_10k_people": ("/万人", "per 10,000 people"),
    "per_10k_employed": ("/万名就业人员", "per 10,000 employed"),
    "per_county": ("个/县", "per county"),
    "per_park": ("个/园区", "per park"),
    "per_university": ("个/高校", "per university"),
    "platforms": ("个", "platforms"),
    "zones": ("个", "zones"),
    "counties": ("个", "counties"),
    "agencies": ("家", "agencies"),
    "organizations": ("家", "organizations"),
    "funds": ("支", "funds"),
    "teams": ("个", "teams"),
    "persons": ("人", "persons"),
    "person_times_per_year": ("人次/年", "person-times per year"),
    "projects_per_year": ("项/年", "projects per year"),
    "items": ("项", "items"),
    "items_per_year": ("项/年", "items per year"),
    "tce_per_10k_yuan": ("吨标准煤/万元", "tce per 10,000 yuan"),
    "ug_per_m3": ("微克/立方米", "µg/m³"),
    "rank_places": ("位", "places"),
    "class_code": ("", ""),
}
"""Unit key -> (Chinese, English), for axis titles and target descriptions."""


SERIES: dict[str, tuple[str, str]] = {
    "main": ("主口径", "main"),
    "revised": ("修订口径", "revised"),
    "early_yearbook": ("早期年鉴口径", "early yearbook"),
    "national_registry": ("全国登记口径", "national registry"),
}
"""Statistical series key (``series`` of the history) -> (Chinese, English)."""


COMPARATOR: dict[str, tuple[str, str]] = {
    "at_least": ("≥", "≥"),
    "at_most": ("≤", "≤"),
    "about": ("约", "about"),
}

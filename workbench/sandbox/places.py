"""Invented places and organisations for the sandbox district: towns, streets, employers, domains.

All values are made up for this project. Phone numbers use the fictional 555 area code and e-mail
addresses the reserved ``example.*`` domains, so no generated contact can reach a real person.
"""

from __future__ import annotations

STATE = "OR"
STATE_NAME = "Oregon"
AREA_CODE = "555"

#: (town, first zip code); a town owns three consecutive zips.
TOWNS: tuple[tuple[str, int], ...] = (
    ("Alder Creek", 97301), ("Bramblewood", 97305), ("Cedar Hollow", 97309), ("Dunmore Falls", 97313),
    ("Elk Meadow", 97317), ("Foxglove", 97321), ("Granite Bay", 97325), ("Heron Point", 97329),
    ("Ironwood", 97333), ("Juniper Flats", 97337), ("Kestrel Ridge", 97341), ("Larkspur", 97345),
    ("Millbrook", 97349), ("North Fork", 97353), ("Oak Harbor", 97357), ("Pinecrest", 97361),
    ("Quail Run", 97365), ("Riverbend", 97369), ("Silver Lake", 97373), ("Thornbury", 97377),
)

#: States used for contacts who live outside the district.
OTHER_STATES: tuple[tuple[str, str, str], ...] = (
    ("WA", "Washington", "Lakeport"), ("CA", "California", "Santa Verde"), ("ID", "Idaho", "Pine Butte"),
    ("NV", "Nevada", "Sagebrush"), ("AZ", "Arizona", "Mesa Rojo"), ("TX", "Texas", "Bluebonnet"),
)

STREETS: tuple[str, ...] = tuple(
    ["Maple", "Oak", "Cedar", "Pine", "Elm", "Birch", "Willow", "Aspen", "Spruce", "Alder", "Hawthorn", "Juniper", "Magnolia", "Sycamore", "Chestnut", "Hickory", "Laurel", "Cypress", "Redwood", "Poplar", "Dogwood", "Sequoia", "Walnut", "Cottonwood", "Hemlock", "Larch", "Meadow", "River", "Lake", "Hill", "Valley", "Ridge", "Summit", "Canyon", "Prairie", "Orchard", "Harbor", "Bay", "Brook", "Creek", "Spring", "Highland", "Sunset", "Sunrise", "Lincoln", "Washington", "Jefferson", "Madison", "Franklin", "Jackson", "Adams", "Monroe", "Garfield", "Grant", "Park", "Church", "Mill", "Main", "Market", "School", "Center", "College", "Union", "Liberty", "Heritage", "Fairview", "Pleasant", "Mountain", "Forest", "Glen", "Falcon", "Heron", "Sparrow", "Robin", "Cardinal", "Kingfisher", "Quail", "Bluebird", "Osprey", "Vista", "Crescent", "Timber", "Stone", "Granite", "Copper", "Silver", "Golden", "Amber", "Evergreen"]
)
STREET_TYPES: tuple[str, ...] = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Way", "Pl", "Blvd", "Loop", "Ter", "Cir")
UNITS: tuple[str, ...] = ("Apt 1", "Apt 2B", "Apt 12", "Unit 4", "#7", "Apt 301", "Unit C", "#15")

EMPLOYERS: tuple[str, ...] = (
    "Alder Creek Regional Hospital", "Bramblewood Logistics", "Cascade Timber Co.", "Cedar Hollow Bakery",
    "City of Millbrook", "Dunmore Falls Credit Union", "Elk Meadow Dental", "Foxglove Farms",
    "Granite Bay Engineering", "Heron Point Marina", "Ironwood Software", "Juniper Health Clinic",
    "Kestrel Aerospace", "Larkspur Landscaping", "Millbrook Grocery Co-op", "North Fork Auto Repair",
    "Oak Harbor Shipping", "Pinecrest Insurance", "Quail Run Veterinary", "Riverbend Manufacturing",
    "Silver Lake Resort", "Thornbury Law Group", "Self-employed", "County Sheriff's Office",
    "State Department of Transportation", "Valley Electric Cooperative", "Summit Real Estate",
    "Harbor Freight Lines", "Evergreen Childcare", "Copper Kettle Restaurant",
)

#: Personal e-mail domains (reserved example domains, so nothing is deliverable).
EMAIL_DOMAINS: tuple[str, ...] = (
    "mail.example.com", "inbox.example.net", "webmail.example.org", "example.com", "example.net",
    "homemail.example.com", "post.example.org", "isp.example.net",
)
EMAIL_WEIGHTS: tuple[float, ...] = (0.30, 0.20, 0.12, 0.10, 0.08, 0.08, 0.07, 0.05)

DISTRICT_NAMES: tuple[str, ...] = (
    "Cascade Valley School District", "Willamette Ridge Public Schools", "Columbia Heights Unified",
    "Three Rivers School District", "Silver Falls Consolidated Schools", "Blue Heron School District",
)

SCHOOL_STEMS: tuple[str, ...] = tuple(
    ["Lincoln", "Jefferson", "Roosevelt", "Washington", "Madison", "Adams", "Franklin", "Hamilton", "Kennedy", "Whitman", "Thoreau", "Emerson", "Alcott", "Audubon", "Muir", "Carson", "Earhart", "Edison", "Curie", "Keller", "Tubman", "Douglass", "Chavez", "Parks", "Sequoyah", "Hawthorne", "Irving", "Twain", "Frost", "Dickinson", "Longfellow", "Lowell", "Bryant", "Whittier", "Holmes", "Oakridge", "Maplewood", "Cedarbrook", "Pinegrove", "Willow_Creek", "Aspen_Heights", "Birchwood", "Elmhurst", "Fernhill", "Highland", "Lakeview", "Riverside", "Hillcrest", "Meadowbrook", "Brookside", "Sunnyside", "Fairview", "Glenwood", "Westwood", "Eastridge", "Northgate", "Southview", "Crestview", "Parkside", "Springdale", "Stonebridge", "Woodland", "Heritage", "Liberty", "Pioneer", "Frontier", "Summit", "Horizon", "Evergreen", "Timberline", "Cascade", "Columbia", "Mountain_View", "Valley_Vista", "Prairie_Wind", "Harbor_Light", "Canyon_Rim", "Falcon_Ridge", "Eagle_Point", "Heron_Lake", "Quail_Hollow", "Foxfire", "Deer_Park", "Bear_Creek", "Salmon_River", "Clearwater", "Silver_Creek"]
)
SCHOOL_PREFIXES: tuple[str, ...] = ("", "North ", "South ", "East ", "West ", "Upper ", "Lower ", "New ")

DISTRICT_OFFICE_TITLES: tuple[str, ...] = (
    "Superintendent", "Assistant Superintendent", "Director of Technology", "Data Steward",
    "District Registrar", "Director of Curriculum", "Director of Special Education",
    "Director of Student Services", "Payroll Specialist", "Assessment Coordinator",
    "Database Administrator", "Transportation Coordinator",
)
NON_ROSTERED_TITLES: tuple[str, ...] = (
    "Food Service", "Custodian", "Bus Driver", "Substitute Clerk", "Crossing Guard", "Maintenance",
)
ALLERGIES: tuple[str, ...] = (
    "Peanuts", "Tree nuts", "Shellfish", "Bee stings", "Penicillin", "Dairy", "Eggs", "Gluten",
    "Latex", "Seasonal pollen",
)
LANGUAGES: tuple[tuple[str, float], ...] = (
    ("English", 0.78), ("Spanish", 0.14), ("Vietnamese", 0.02), ("Mandarin", 0.015),
    ("Russian", 0.01), ("Arabic", 0.01), ("Korean", 0.005), ("Somali", 0.005), ("Hindi", 0.005),
    ("Tagalog", 0.005), ("Ukrainian", 0.005),
)
MEDICAL: tuple[str, ...] = (
    "Asthma - inhaler in nurse office", "Type 1 diabetes", "Epilepsy", "ADHD medication at noon",
    "Wears glasses", "Hearing aid", "Carries EpiPen",
)

"""Entity mentions a person works with: what the model's labels mean, in plain words.

(The owner of people's corrections to mentions lives here too; see below.)
"""

from __future__ import annotations

# spaCy's English models label entities with the OntoNotes 5 scheme: these are its names in
# words a reviewer knows, shown as the desk's legend and on every label chip.
LABEL_NAMES: dict[str, str] = {
    "PERSON": "a person (real or fictional)",
    "NORP": "a nationality, religious or political group",
    "FAC": "a building, airport, road or bridge",
    "ORG": "an organisation: company, agency, institution",
    "GPE": "a country, city or state",
    "LOC": "another place: region, mountain range, body of water",
    "PRODUCT": "an object, vehicle, weapon or food",
    "EVENT": "a named event: war, battle, storm, sports event",
    "WORK_OF_ART": "the title of a book, song, film or work",
    "LAW": "a named law or legal document",
    "LANGUAGE": "a language",
    "DATE": "a date or period",
    "TIME": "a time of day",
    "PERCENT": "a percentage",
    "MONEY": "an amount of money",
    "QUANTITY": "a measurement: weight, distance, ...",
    "ORDINAL": "an ordinal: first, second, ...",
    "CARDINAL": "another number",
}


def label_name(label: str) -> str:
    return LABEL_NAMES.get(label, "a label of the model")

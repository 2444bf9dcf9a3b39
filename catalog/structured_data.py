"""What search engines read of a program's and an organization's page besides its text: schema.org's Course and
EducationalOrganization (JSON-LD, read by Yandex and Google alike), so that a search result can show the ages, the
price, where and when the groups meet, and who teaches — and a link shared in a messenger names them."""

from collections.abc import Callable, Iterable
from typing import Any

from django.urls import reverse

from catalog.models import Group, Organization, Program, StudyForm

Absolute = Callable[[str], str]

# schema.org's CourseMode for a form of study; distance technologies make a full-time program blended.
COURSE_MODE = {StudyForm.FULL_TIME: "Onsite", StudyForm.MIXED: "Blended", StudyForm.EXTRAMURAL: "Online"}


def program_course(program: Program, groups: Iterable[Group], absolute: Absolute) -> dict[str, Any]:
    """The program as a schema.org Course, its groups as its instances."""
    mode = COURSE_MODE[StudyForm(program.study_form)]
    if mode == "Onsite" and program.uses_distance_learning:
        mode = "Blended"
    course: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Course",
        "name": program.title,
        "description": program.summary,
        "url": absolute(reverse("navigator:program", args=[program.code])),
        "inLanguage": "ru",
        "about": f"{program.get_direction_display()} направленность",
        "educationalLevel": program.levels_display,
        "typicalAgeRange": f"{program.age_from}-{program.age_to}",
        "isAccessibleForFree": program.is_free or program.by_certificate,
        "provider": _organization(program.organization, absolute),
        "offers": _offers(program),
        "hasCourseInstance": [_instance(group, mode) for group in groups],
    }
    if program.hours_total:
        course["timeRequired"] = f"PT{program.hours_total}H"
    return course


def _offers(program: Program) -> list[dict[str, Any]]:
    offers = []
    if program.is_free or program.by_certificate:
        offers.append({"@type": "Offer", "category": "Free", "price": "0", "priceCurrency": "RUB"})
    if program.is_paid and program.price_per_month is not None:
        offers.append(
            {
                "@type": "Offer",
                "category": "Paid",
                "price": f"{program.price_per_month:.2f}",
                "priceCurrency": "RUB",
                "description": "в месяц",
            }
        )
    return offers


def _instance(group: Group, mode: str) -> dict[str, Any]:
    instance: dict[str, Any] = {
        "@type": "CourseInstance",
        "name": group.name,
        "courseMode": mode,
        "startDate": group.start_date.isoformat(),
        "endDate": group.end_date.isoformat(),
        "location": {"@type": "Place", "address": group.address},
    }
    if group.teacher is not None:
        instance["instructor"] = {"@type": "Person", "name": group.teacher.full_name}
    return instance


def _organization(organization: Organization, absolute: Absolute) -> dict[str, Any]:
    return {
        "@type": "EducationalOrganization",
        "name": organization.short_name,
        "url": absolute(reverse("navigator:organization", args=[organization.code])),
    }


def organization_profile(organization: Organization, absolute: Absolute) -> dict[str, Any]:
    """The organization as a schema.org EducationalOrganization: names, address, place, contacts."""
    profile: dict[str, Any] = {
        "@context": "https://schema.org",
        **_organization(organization, absolute),
        "legalName": organization.full_name,
        "taxID": organization.inn,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": organization.address,
            "addressLocality": organization.municipality.name,
            "addressCountry": "RU",
        },
    }
    if organization.latitude is not None and organization.longitude is not None:
        profile["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(organization.latitude),
            "longitude": float(organization.longitude),
        }
    contacts = {"telephone": organization.phone, "email": organization.email}
    profile.update({name: value for name, value in contacts.items() if value})
    if organization.website:
        profile["sameAs"] = [organization.website]
    return profile

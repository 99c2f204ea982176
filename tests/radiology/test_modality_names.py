"""A modality's name shows its abbreviation once: "Computed tomography (CT)", never
"Computed tomography (CT) (CT)", in every list that offers modalities."""

from __future__ import annotations

import re
from typing import Any

import httpx

from openward.radiology.catalogue import modality_label
from tests.web.pages import sign_in


def _modality_options(html: str) -> dict[str, str]:
    select = html.split('id="flt-modality"')[1].split("</select>")[0]
    return dict(re.findall(r'<option value="([A-Z]+)"[^>]*>([^<]+)</option>', select))


async def test_the_modality_filters_name_each_modality_with_its_abbreviation_once(
    client: httpx.AsyncClient, catalogue: None, make_user: Any
):
    user = await make_user("radiologist")
    assert (await sign_in(client, user.username)).status_code == 303
    for page in ("/radiology/orders", "/radiology/worklist"):
        response = await client.get(page)
        assert response.status_code == 200, page
        options = _modality_options(response.text)
        assert options["CT"] == "Computed tomography (CT)", page
        assert options["MR"] == "Magnetic resonance imaging (MRI)", page
        assert options["US"] == "Ultrasound (US)", page
        assert "(CT) (CT)" not in response.text and "(MRI) (MR)" not in response.text
        for label in options.values():
            assert label.count("(") == 1, (page, label)


def test_a_name_without_an_abbreviation_gets_the_code_and_one_with_it_does_not():
    assert modality_label("CT", "Computed tomography (CT)") == "Computed tomography (CT)"
    assert modality_label("US", "Ultrasound") == "Ultrasound (US)"
    assert modality_label("BMD", "Bone densitometry (DXA)") == "Bone densitometry (DXA)"

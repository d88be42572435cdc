"""English texts of a decision table (DMN), carried in the model as the BPMN carries them.

A DMN element (the decision, an input, an output, a rule, an output cell) may hold English beside its
German text in its ``extensionElements``, as properties named like the BPMN's ``camunda:properties``::

    <rule id="regel_r1">
      <description>R1: akute Gefahr für Leib oder Leben</description>
      <extensionElements>
        <lotse:properties>
          <lotse:property name="description_en" value="R1: acute danger to life or limb" />
        </lotse:properties>
      </extensionElements>
      ...

with ``xmlns:lotse="http://lotse.starkestelle/dmn/texts"`` on the definitions. The names: ``name_en``
(decision), ``description_en`` (decision, rule), ``label_en`` (input, output), ``text_en`` (an output cell's
value as people read it). SpiffWorkflow and dmn-js leave extension elements alone; the English interface
shows these texts and falls back to the German ones.
"""

from __future__ import annotations

from lxml import etree

NAMESPACE = "http://lotse.starkestelle/dmn/texts"


def english_texts(element: etree._Element) -> dict[str, str]:
    """The ``*_en`` properties of one DMN element (its own extension elements only, not its children's)."""
    found: dict[str, str] = {}
    for extensions in element:
        if not isinstance(extensions.tag, str) or etree.QName(extensions).localname != "extensionElements":
            continue
        for holder in extensions:
            if not isinstance(holder.tag, str) or etree.QName(holder).localname != "properties":
                continue
            for item in holder:
                if not isinstance(item.tag, str) or etree.QName(item).localname != "property":
                    continue
                name, value = item.get("name") or "", (item.get("value") or "").strip()
                if name.endswith("_en") and value:
                    found[name] = value
    return found

from __future__ import annotations

import unittest

from serverless_sdk import ActionRow, Button, SelectMenu, SelectOption, TextInput
from serverless_sdk.components import message_components, modal_components, parse_emoji


class ButtonTests(unittest.TestCase):
    def test_ToDict_EveryStyle_MapsToDiscordNumber(self) -> None:
        for style, number in (("primary", 1), ("secondary", 2), ("success", 3), ("danger", 4)):
            with self.subTest(style=style):
                self.assertEqual(Button("X", custom_id="x", style=style).to_dict()["style"], number)
        self.assertEqual(Button("Docs", url="https://a.b", style="link").to_dict()["style"], 5)

    def test_ToDict_SeedClickMe_GivesDiscordJson(self) -> None:
        button = Button(label="Click me", custom_id="btn_hi", style="primary", emoji="🎉", disabled=False)
        self.assertEqual(
            button.to_dict(),
            {"type": 2, "style": 1, "label": "Click me", "emoji": {"name": "🎉"}, "custom_id": "btn_hi", "disabled": False},
        )

    def test_ToDict_LinkButton_HasUrlAndNoCustomId(self) -> None:
        button = Button(label="Docs", url="https://mmomaid.cloud/dev/docs", style="link")
        self.assertEqual(
            button.to_dict(),
            {"type": 2, "style": 5, "label": "Docs", "url": "https://mmomaid.cloud/dev/docs", "disabled": False},
        )

    def test_Init_InvalidCombinations_RaiseValueError(self) -> None:
        cases = {
            "link without url": lambda: Button("Docs", style="link"),
            "link with custom_id": lambda: Button("Docs", custom_id="d", url="https://a.b", style="link"),
            "url on non-link": lambda: Button("Docs", custom_id="d", url="https://a.b"),
            "missing custom_id": lambda: Button("Yes"),
            "unknown style": lambda: Button("Yes", custom_id="y", style="blurple"),
            "enum-like style": lambda: Button("Yes", custom_id="y", style=1),  # type: ignore[arg-type]
            "label too long": lambda: Button("x" * 81, custom_id="y"),
            "custom_id too long": lambda: Button("Yes", custom_id="y" * 86),
            "empty custom_id": lambda: Button("Yes", custom_id=""),
            "no label or emoji": lambda: Button(custom_id="y"),
            "bad url scheme": lambda: Button("Docs", url="ftp://a.b", style="link"),
        }
        for name, make in cases.items():
            with self.subTest(name):
                with self.assertRaises(ValueError):
                    make()

    def test_Init_LimitsExactlyAtMaximum_AreAccepted(self) -> None:
        self.assertEqual(len(Button("x" * 80, custom_id="y" * 85).to_dict()["label"]), 80)

    def test_Init_EmojiOnly_IsAllowed(self) -> None:
        self.assertEqual(Button(emoji="<a:party:123>", custom_id="p").to_dict()["emoji"], {"name": "party", "id": "123", "animated": True})


class EmojiTests(unittest.TestCase):
    def test_ParseEmoji_UnicodeAndCustomForms(self) -> None:
        self.assertEqual(parse_emoji("🎉"), {"name": "🎉"})
        self.assertEqual(parse_emoji("<:name:123>"), {"name": "name", "id": "123", "animated": False})
        self.assertEqual(parse_emoji("<a:name:123>"), {"name": "name", "id": "123", "animated": True})
        self.assertEqual(parse_emoji({"id": "5", "name": "x"}), {"id": "5", "name": "x"})
        with self.assertRaises(ValueError):
            parse_emoji("")


class SelectMenuTests(unittest.TestCase):
    def options(self, n: int) -> list[SelectOption]:
        return [SelectOption(label=f"L{i}", value=f"v{i}") for i in range(n)]

    def test_ToDict_HasType3AndOptions(self) -> None:
        menu = SelectMenu("pick", [SelectOption("A", "a", default=True)], placeholder="Pick")
        self.assertEqual(
            menu.to_dict(),
            {
                "type": 3,
                "custom_id": "pick",
                "options": [{"label": "A", "value": "a", "default": True}],
                "placeholder": "Pick",
                "min_values": 1,
                "max_values": 1,
                "disabled": False,
            },
        )

    def test_Init_TwentyFiveOptions_Accepted_TwentySixRejected(self) -> None:
        self.assertEqual(len(SelectMenu("m", self.options(25)).to_dict()["options"]), 25)
        with self.assertRaises(ValueError):
            SelectMenu("m", self.options(26))

    def test_Init_InvalidValues_RaiseValueError(self) -> None:
        cases = {
            "no options": lambda: SelectMenu("m", []),
            "min above max": lambda: SelectMenu("m", self.options(3), min_values=3, max_values=2),
            "max above options": lambda: SelectMenu("m", self.options(2), max_values=3),
            "duplicate values": lambda: SelectMenu("m", [SelectOption("A", "x"), SelectOption("B", "x")]),
            "placeholder too long": lambda: SelectMenu("m", self.options(1), placeholder="p" * 151),
            "option label too long": lambda: SelectOption("l" * 101, "v"),
            "option description too long": lambda: SelectOption("l", "v", description="d" * 101),
        }
        for name, make in cases.items():
            with self.subTest(name):
                with self.assertRaises(ValueError):
                    make()

    def test_Init_OptionsAsDicts_AreAccepted(self) -> None:
        menu = SelectMenu("m", [{"label": "A", "value": "a", "emoji": "🎨"}])
        self.assertEqual(menu.to_dict()["options"][0]["emoji"], {"name": "🎨"})


class TextInputTests(unittest.TestCase):
    def test_ToDict_ShortAndParagraph(self) -> None:
        self.assertEqual(
            TextInput("Subject", "subject", placeholder="Quick summary", max_length=100).to_dict(),
            {
                "type": 4,
                "custom_id": "subject",
                "style": 1,
                "label": "Subject",
                "placeholder": "Quick summary",
                "required": True,
                "max_length": 100,
            },
        )
        paragraph = TextInput("Details", "details", style="paragraph", required=False, min_length=5, value="hello")
        self.assertEqual(
            paragraph.to_dict(),
            {"type": 4, "custom_id": "details", "style": 2, "label": "Details", "required": False, "min_length": 5, "value": "hello"},
        )

    def test_Init_InvalidValues_RaiseValueError(self) -> None:
        cases = {
            "style": lambda: TextInput("L", "c", style="long"),
            "label too long": lambda: TextInput("l" * 46, "c"),
            "max_length too big": lambda: TextInput("L", "c", max_length=4001),
            "min above max": lambda: TextInput("L", "c", min_length=10, max_length=5),
            "value beyond max": lambda: TextInput("L", "c", max_length=3, value="four"),
        }
        for name, make in cases.items():
            with self.subTest(name):
                with self.assertRaises(ValueError):
                    make()


class ActionRowTests(unittest.TestCase):
    def test_ToDict_WrapsComponents(self) -> None:
        row = ActionRow(Button("Yes", custom_id="yes", style="success"), {"type": 2, "style": 2, "label": "Raw", "custom_id": "r"})
        self.assertEqual(
            row.to_dict(),
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 3, "label": "Yes", "custom_id": "yes", "disabled": False},
                    {"type": 2, "style": 2, "label": "Raw", "custom_id": "r"},
                ],
            },
        )

    def test_Init_FiveButtons_Accepted_SixRejected(self) -> None:
        buttons = [Button(str(i), custom_id=str(i)) for i in range(6)]
        self.assertEqual(len(ActionRow(*buttons[:5]).to_dict()["components"]), 5)
        with self.assertRaises(ValueError):
            ActionRow(*buttons)

    def test_Init_SelectWithButton_Rejected(self) -> None:
        menu = SelectMenu("m", [SelectOption("A", "a")])
        with self.assertRaises(ValueError):
            ActionRow(menu, Button("B", custom_id="b"))
        with self.assertRaises(ValueError):
            ActionRow(ActionRow())  # type: ignore[arg-type]
        with self.assertRaises(ValueError):
            ActionRow().to_dict()


class MessageAndModalComponentTests(unittest.TestCase):
    def test_MessageComponents_AcceptsRowsDictsAndBareComponents(self) -> None:
        rows = message_components(
            [ActionRow(Button("A", custom_id="a")), {"type": 1, "components": []}, Button("B", custom_id="b")]
        )
        assert rows is not None
        self.assertEqual([r["type"] for r in rows], [1, 1, 1])
        self.assertEqual(rows[2]["components"][0]["custom_id"], "b")
        self.assertIsNone(message_components(None))
        self.assertEqual(message_components([]), [])
        with self.assertRaises(ValueError):
            message_components([ActionRow(Button("A", custom_id="a"))] * 6)

    def test_ModalComponents_WrapEachTextInputInARow(self) -> None:
        rows = modal_components([TextInput("A", "a"), {"type": 4, "custom_id": "b", "style": 1, "label": "B"}])
        self.assertEqual([r["components"][0]["custom_id"] for r in rows], ["a", "b"])
        self.assertTrue(all(r["type"] == 1 and len(r["components"]) == 1 for r in rows))
        with self.assertRaises(ValueError):
            modal_components([])
        with self.assertRaises(ValueError):
            modal_components([Button("x", custom_id="x")])
        with self.assertRaises(ValueError):
            modal_components([TextInput("A", str(i)) for i in range(6)])


if __name__ == "__main__":
    unittest.main()

"""In a real browser: the simulator (text, a voice-note file, the microphone) and the live dashboard.

Each test runs against a live server and a real ``python -m bot worker`` process, exactly as
``python -m bot serve`` would, with Debian's Chromium headless driven by Playwright.
"""
from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest

from flows import store
from storage import queries

pytestmark = pytest.mark.e2e

VOICE = Path(__file__).resolve().parents[1] / "fixtures" / "voice"
OWNER = "+919800000001"
SLOW = 120_000  # ms: the first voice note loads the speech model in the worker

LIVE_FLOW = {"nodes": [
    {"id": "trigger_1", "type": "trigger", "data": {"service": "payments", "task": "payment_received", "params": {}}},
    {"id": "tell_owner", "type": "action", "data": {"service": "whatsapp", "task": "send_message", "params": {
        "to": "owner", "message": "₹{{trigger_data.payment.amount}} received from {{trigger_data.customer.name}}"}}},
    {"id": "pause", "type": "action", "data": {"service": "delay", "task": "wait", "params": {"duration": "3s"}}},
    {"id": "thank", "type": "action", "data": {"service": "whatsapp", "task": "send_message", "params": {
        "to": "{{trigger_data.customer.phone}}", "message": "Thank you for your payment!"}}}],
    "edges": [{"id": "e1", "source": "trigger_1", "target": "tell_owner"},
              {"id": "e2", "source": "tell_owner", "target": "pause"},
              {"id": "e3", "source": "pause", "target": "thank"}]}


def _heard(reply: str) -> str:
    """The transcript Munshi quotes at the top of a voice note's reply: 🎤 "…"."""
    m = re.search(r'🎤 "([^"]+)"', reply)
    assert m, f"no transcript in the reply: {reply!r}"
    return m.group(1).lower()


def _open_simulator(page, site, phone=OWNER):
    page.goto(f"{site.url}/simulator?phone={phone}")
    page.wait_for_selector("#composer")


def _send(page, text):
    page.fill("#text", text)
    page.press("#text", "Enter")


def test_simulator_text_message_gets_the_reply(page, site):
    _open_simulator(page, site)
    _send(page, "bill Tarun 3 fans at 1800")
    page.locator(".bubble.in", has_text="bill Tarun 3 fans at 1800").wait_for()
    reply = page.locator(".bubble.out", has_text="Tarun")
    reply.wait_for(timeout=60_000)
    text = reply.inner_text()
    assert "5,400" in text and "Invoice" in text
    # what people type is shown as text, never as HTML
    _send(page, '<img src=x onerror="window.__owned=1"> hi')
    page.locator(".bubble.in", has_text="<img src=x").wait_for()
    assert page.locator(".messages img").count() == 0
    assert page.evaluate("window.__owned === undefined")


def test_simulator_voice_note_upload(page, site):
    _open_simulator(page, site)
    page.set_input_files("#voice-file", str(VOICE / "bill_mahesh.ogg"))
    reply = page.locator(".bubble.out", has_text="🎤")
    reply.wait_for(timeout=SLOW)
    heard = _heard(reply.inner_text())
    assert "cement" in heard or "bill" in heard, heard  # the speech model is small: the gist, not every word
    assert page.locator(".bubble.in", has_text="Voice note").count() == 1


def _wav_from(ogg: Path, out: Path) -> Path:
    """The fixture voice note as 16-bit mono WAV (what Chromium's fake microphone plays)."""
    from intents.audio import decode

    pcm = decode(ogg.read_bytes())  # 16 kHz mono s16le
    silence = b"\x00\x00" * 16000
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(silence + pcm + silence * 3)
    return out


def test_simulator_microphone_recording(playwright, site, tmp_path):
    from tests.e2e.conftest import ARGS, CHROMIUM, FAKE_MIC

    wav = _wav_from(VOICE / "add_rice.ogg", tmp_path / "mic.wav")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=[*ARGS, *FAKE_MIC, f"--use-file-for-fake-audio-capture={wav}%noloop"])
    try:
        context = browser.new_context(permissions=["microphone"])
        page = context.new_page()
        page.set_default_timeout(20_000)
        _open_simulator(page, site)
        page.click("#mic")
        page.wait_for_selector("#mic.recording")
        page.wait_for_timeout(4500)
        page.click("#mic")
        reply = page.locator(".bubble.out", has_text="🎤")
        reply.wait_for(timeout=SLOW)
        assert _heard(reply.inner_text()), "nothing was heard from the microphone"
    finally:
        browser.close()


def test_dashboard_login_link_and_a_run_turning_green_live(page, site):
    with site.db.session() as s:
        biz = queries.get_or_create_business(s, OWNER, "Sharma Hardware")
        s.flush()
        flow = store.create_flow(s, biz.id, "Payment thanks <b>live</b>", LIVE_FLOW, activate=True)
        flow_id = flow.id
    # ask for the dashboard in chat, like the owner would
    _open_simulator(page, site)
    _send(page, "dashboard")
    reply = page.locator(".bubble.out", has_text="/login/")
    reply.wait_for(timeout=60_000)
    link = re.search(r"https?://\S+/login/\S+", reply.inner_text()).group(0)
    page.goto(link)
    page.click("#open-dashboard")
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert page.locator("header .shop").inner_text() == "Sharma Hardware"
    # the flow is listed, its name shown as text (not HTML)
    page.click(f'a[href="/dashboard/flows/{flow_id}"]')
    assert page.locator("h1").inner_text() == "Payment thanks <b>live</b>"
    # trigger it from the dashboard
    page.click("#run-now")
    page.wait_for_url(re.compile(r"/dashboard/runs/\w+$"))
    page.evaluate("window.__sameDocument = true")
    first, last = page.locator('li[data-node="tell_owner"]'), page.locator('li[data-node="thank"]')
    # live: the first step turns green while the last has not run yet…
    page.wait_for_selector('li[data-node="tell_owner"].succeeded', timeout=30_000)
    assert "succeeded" not in (last.get_attribute("class") or "")
    page.wait_for_selector('li[data-node="pause"].waiting, li[data-node="pause"].succeeded', timeout=30_000)
    # …then every step is green, without reloading the page
    page.wait_for_selector('li[data-node="thank"].succeeded', timeout=30_000)
    for node in ("trigger_1", "tell_owner", "pause", "thank"):
        assert "succeeded" in (page.locator(f'li[data-node="{node}"]').get_attribute("class") or ""), node
    assert page.locator("#run-status").inner_text() == "succeeded"
    assert page.evaluate("window.__sameDocument") is True
    assert "attempts 1" in first.inner_text()
    page.wait_for_selector("#live.off")

"""Every shopper page looks finished on a phone and a desktop (issue 14, item 9), measured in
Chromium at 360, 390 and 1280 px: no sideways scrolling, a name for every form control, tap
targets of at least 44x44 px, text contrast of at least 4.5:1, one h1, the `lang` attribute,
the store's header (name, logo) and footer (address, WhatsApp), the favicon.

"Running text": a link inside a <p> that holds other text besides its links' own (not only
whitespace, punctuation or separators such as "·" and "›": a breadcrumb is not running text).
Such a link is a word in a sentence and exempt from the 44 px rule (as in WCAG 2.5.8's inline
exception); every other visible link, button, input, select and
textarea must measure at least 44x44 px (a radio button or checkbox is measured by the label
around it, which is what a thumb taps).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from shop.extensions import db
from shop.models import Store
from shop.services.checkout import CheckoutRequest, place_order
from shop.services.uploads import save_image
from tests.images import image_bytes, upload

from .conftest import TIMEOUT_MS, Pages, Shop

pytestmark = pytest.mark.e2e

WIDTHS = (360, 390, 1280)
#: The cart of the "with two products" checkout: the two longest lines of the demo menu.
CART = (("BRG-DOUBLE", 12), ("BRG-CHICKEN", 3))
MIN_TARGET = 44
MIN_CONTRAST = 4.5

#: Runs in the page; returns what a Lighthouse-style audit would flag, as sentences.
AUDIT_JS = r"""
() => {
  const problems = [];
  const de = document.documentElement;
  const shown = el => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
    && el.getBoundingClientRect().width > 1 && el.getBoundingClientRect().height > 1;
  const describe = el => {
    const id = el.id ? "#" + el.id : "";
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\s+/).join(".") : "";
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "")
      .trim().slice(0, 40);
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}"`;
  };

  // 1. No sideways scrolling; name what sticks out.
  if (de.scrollWidth > window.innerWidth) {
    const wide = [...document.body.querySelectorAll("*")]
      .filter(el => shown(el) && el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(-3).map(describe);
    problems.push(`page is ${de.scrollWidth}px wide at ${window.innerWidth}px: ${wide.join(", ")}`);
  }

  // 2. lang, one h1.
  if (!de.getAttribute("lang")) problems.push("<html> has no lang");
  const h1s = document.querySelectorAll("h1").length;
  if (h1s !== 1) problems.push(`${h1s} h1 on the page`);

  // 3. Every form control has an accessible name.
  const controls = [...document.querySelectorAll("input:not([type=hidden]), select, textarea")];
  for (const el of controls) {
    const byLabel = [...(el.labels || [])].some(l => l.textContent.trim());
    const byAria = (el.getAttribute("aria-label") || "").trim();
    const byIds = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean)
      .some(id => (document.getElementById(id)?.textContent || "").trim());
    if (!byLabel && !byAria && !byIds) problems.push(`no accessible name: ${describe(el)}`);
  }
  for (const el of document.querySelectorAll("button")) {
    if (!(el.textContent.trim() || (el.getAttribute("aria-label") || "").trim()))
      problems.push(`button without a name: ${describe(el)}`);
  }

  // 4. Tap targets.
  const inRunningText = a => {
    const p = a.closest("p");
    if (!p) return false;
    const words = p.cloneNode(true);
    words.querySelectorAll("a").forEach(link => link.remove());
    const rest = words.textContent.replace(/[\s·|,.:;()\-–›»/]/g, "");
    return rest.length > 0;
  };
  const targets = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea");
  for (const el of targets) {
    if (!shown(el)) continue;
    if (el.tagName === "A" && inRunningText(el)) continue;
    let box = el;
    if (el.type === "radio" || el.type === "checkbox") box = el.closest("label") || el;
    const r = box.getBoundingClientRect();
    if (r.width < 44 - 0.5 || r.height < 44 - 0.5)
      problems.push(`tap target ${Math.round(r.width)}x${Math.round(r.height)}: ${describe(el)}`);
  }

  // 5. Contrast of every visible element that holds text of its own.
  const rgba = s => {
    const m = s.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[,\s/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {  // top composited over an opaque bottom
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const background = el => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = rgba(getComputedStyle(node).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];  // the canvas
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const luminance = c => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  let checked = 0;
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "svg", "IMG"].includes(el.tagName)) continue;
    const ownText = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!ownText || !shown(el)) continue;
    if (el.closest(".visually-hidden") || el.closest("[aria-hidden=true]")) continue;
    if (el.closest("button:disabled")) continue;  // WCAG exempts inactive controls
    const bg = background(el);
    const fg = over(rgba(getComputedStyle(el).color), bg);
    const value = ratio(fg, bg);
    checked += 1;
    if (value < 4.5) problems.push(`contrast ${value.toFixed(2)}: ${describe(el)}`);
  }
  if (checked < 5) problems.push(`only ${checked} text elements found to check`);

  // 6. The store's frame.
  const icon = document.querySelector("link[rel=icon]");
  if (!icon || !icon.getAttribute("href")) problems.push("no favicon link");
  return problems;
}
"""

FRAME_JS = r"""
() => ({
  name: document.querySelector("header .brand-name")?.textContent.trim() || null,
  logo: (() => { const i = document.querySelector("header img.logo");
                 return i ? {alt: i.alt, loaded: i.complete && i.naturalWidth > 0} : null; })(),
  address: document.querySelector("footer address")?.textContent.trim() || null,
  whatsapp: document.querySelector("footer a[href^='https://wa.me/']")?.getAttribute("href")
    || null,
})
"""


@dataclass(frozen=True)
class ShopperPage:
    """A page to audit: its path, language, and whether it belongs to the store."""

    name: str
    path: str
    lang: str = "id"
    cart: bool = False
    of_store: bool = True


@pytest.fixture
def demo(shop: Shop, tmp_path):
    """The demo store with a logo, and one order of it for the tracking page."""
    app = shop.app
    saved = app.config.get("UPLOAD_FOLDER")
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    with app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == shop.slug))
        store.logo = save_image(upload(image_bytes("PNG", size=(300, 200))), width=512).filename
        placed = place_order(store, CheckoutRequest(
            name="Siti Rahma", phone="081234567890",
            address="Jl. Kebon Jeruk No. 5, Jakarta Barat", items=list(CART),
            courier="JNE Regular", payment_method="bank_transfer",
        ), base_url=shop.url)
        db.session.commit()
        address = store.address
        db.session.remove()
    yield {"order_id": placed.id, "address": address}
    app.config["UPLOAD_FOLDER"] = saved


def shopper_pages(shop: Shop, order_id: str) -> list[ShopperPage]:
    store = shop.store_path
    return [
        ShopperPage("store-id", store),
        ShopperPage("store-en", store, lang="en"),
        ShopperPage("checkout-empty-id", f"{store}/checkout"),
        ShopperPage("checkout-empty-en", f"{store}/checkout", lang="en"),
        ShopperPage("checkout-full-id", f"{store}/checkout", cart=True),
        ShopperPage("checkout-full-en", f"{store}/checkout", lang="en", cart=True),
        ShopperPage("chat-id", f"{store}/chat"),
        ShopperPage("chat-en", f"{store}/chat", lang="en"),
        ShopperPage("tracking-id", f"/track/{order_id}"),
        ShopperPage("tracking-en", f"/track/{order_id}", lang="en"),
        ShopperPage("404-id", "/store/no-such-store", of_store=False),
    ]


def open_at(pages: Pages, width: int) -> Page:
    page = pages.open()
    page.set_viewport_size({"width": width, "height": 800})
    return page


def fill_cart(page: Page, shop: Shop) -> None:
    """Put CART in this browser's cart with the store page's own form fields."""
    page.goto(shop.store_path)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    for code, qty in CART:
        answer = page.request.post(f"{shop.url}{shop.store_path}/cart", form={
            "csrf_token": token, "code": code, "qty": str(qty), "action": "add",
            "next": shop.store_path}, headers={"Accept": "application/json"})
        assert answer.ok, answer.text()


def open_error_page(page: Page, shop: Shop) -> None:
    """The error page: a cart form posted with a stale CSRF token (a page left open too long)
    answers 400 with a way back."""
    page.goto(shop.store_path)
    with page.expect_navigation() as navigation:
        page.evaluate("""path => {
          const form = Object.assign(document.createElement("form"),
                                     {method: "post", action: path});
          form.innerHTML = '<input type="hidden" name="csrf_token" value="stale">' +
            '<input type="hidden" name="code" value="COLA">';
          document.body.append(form);
          form.submit();
        }""", f"{shop.store_path}/cart")
    assert navigation.value is not None and navigation.value.status == 400
    page.wait_for_load_state("load", timeout=TIMEOUT_MS)


def order_from_checkout(page: Page, shop: Shop) -> None:
    """Fill the checkout (by the fields' names) with CART and send it: the browser lands on
    the order's tracking page with its thank-you banner."""
    fill_cart(page, shop)
    page.goto(f"{shop.store_path}/checkout")
    form = page.locator("form:has(textarea[name=address])")
    for name, value in (("name", "Siti Rahma"), ("phone", "081234567890"),
                        ("address", "Jl. Kebon Jeruk No. 5"), ("district", "Kebon Jeruk"),
                        ("city", "Jakarta Barat")):
        form.locator(f"[name={name}]").fill(value)
    form.locator("select[name=province]").select_option(index=1)
    form.locator("input[name=courier]").first.check()
    form.locator("input[name=payment_method][value=bank_transfer]").check()
    with page.expect_navigation(url="**/track/**"):
        form.locator("button[type=submit]").click()
    page.wait_for_load_state("load", timeout=TIMEOUT_MS)


def audit(page: Page, target: ShopperPage, address: str | None) -> list[str]:
    """The problems of the page as it is now, plus what its frame is missing."""
    problems = list(page.evaluate(AUDIT_JS))
    if page.evaluate("document.documentElement.lang") != target.lang:
        problems.append(f"lang is not {target.lang}")
    if not target.of_store:
        return problems
    frame = page.evaluate(FRAME_JS)
    if frame["name"] != "Burger China":
        problems.append(f"header shows {frame['name']!r}, not the store's name")
    if not frame["logo"] or frame["logo"]["alt"] != "Logo Burger China" \
            or not frame["logo"]["loaded"]:
        problems.append(f"header logo: {frame['logo']}")
    if frame["address"] != address:
        problems.append(f"footer address: {frame['address']!r}")
    if frame["whatsapp"] != "https://wa.me/6281111111111":
        problems.append(f"footer WhatsApp: {frame['whatsapp']!r}")
    return problems


def visit(page: Page, shop: Shop, target: ShopperPage) -> None:
    """Open the page in its language (the ?lang= choice is then kept in a cookie)."""
    answer = page.goto(f"{target.path}?lang={target.lang}")
    assert answer is not None
    expected = 404 if not target.of_store else 200
    assert answer.status == expected, f"{target.name}: HTTP {answer.status}"
    page.wait_for_load_state("load", timeout=TIMEOUT_MS)


def test_every_shopper_page_meets_the_basics_at_each_width(shop: Shop, pages: Pages, demo):
    """Store, checkout (empty and with two products), chat, tracking (and the one right after
    ordering, with its thank-you banner), in Indonesian and English, the 404 and the error
    page, at 360, 390 and 1280 px (one test, so the screenshots
    of every width stay): every problem of every page is listed at once."""
    found: dict[str, list[str]] = {}
    for width in WIDTHS:
        page = open_at(pages, width)
        for target in shopper_pages(shop, demo["order_id"]):
            page.context.clear_cookies()  # a fresh cart (and language) for each page
            if target.cart:
                fill_cart(page, shop)
            visit(page, shop, target)
            if target.cart:
                assert page.locator("tr.cart-line").count() == len(CART), target.name
            pages.screenshot(page, f"{width}-{target.name}")
            problems = audit(page, target, demo["address"])
            if problems:
                found[f"{target.name} at {width}px"] = problems
        page.context.clear_cookies()
        order_from_checkout(page, shop)
        pages.screenshot(page, f"{width}-tracking-thanks-id")
        problems = audit(page, ShopperPage("tracking-thanks-id", ""), demo["address"])
        if problems:
            found[f"tracking-thanks-id at {width}px"] = problems
        page.context.clear_cookies()
        open_error_page(page, shop)
        pages.screenshot(page, f"{width}-error-id")
        problems = audit(page, ShopperPage("error-id", "", of_store=False), None)
        if problems:
            found[f"error-id at {width}px"] = problems
    assert found == {}, "\n".join(
        f"{name}:\n  " + "\n  ".join(problems) for name, problems in found.items())
    assert pages.errors == []


def product_page_rule(shop: Shop) -> str | None:
    """The product page's URL rule, if the storefront has one yet."""
    for rule in shop.app.url_map.iter_rules():
        if rule.rule.startswith("/store/<slug>/p/"):
            return rule.rule
    return None


def test_the_product_page_meets_the_basics_at_each_width(shop: Shop, pages: Pages, demo):
    """The product page /store/<slug>/p/<code> (issue 14, item 1), in both languages."""
    if product_page_rule(shop) is None:
        pytest.skip("no product page route /store/<slug>/p/<code> yet (issue 14, item 1)")
    found: dict[str, list[str]] = {}
    for width in WIDTHS:
        page = open_at(pages, width)
        for lang in ("id", "en"):
            target = ShopperPage(f"product-{lang}", f"{shop.store_path}/p/BRG-DOUBLE", lang=lang)
            visit(page, shop, target)
            pages.screenshot(page, f"{width}-{target.name}")
            problems = audit(page, target, demo["address"])
            if problems:
                found[f"{target.name} at {width}px"] = problems
    assert found == {}, "\n".join(
        f"{name}:\n  " + "\n  ".join(problems) for name, problems in found.items())
    assert pages.errors == []

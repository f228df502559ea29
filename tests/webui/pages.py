"""What the browser tests share: where screenshots go, the screen sizes, signing in, and the width check."""
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
VIEWPORT = {"width": 1366, "height": 768}  # the desktop the issue names
TABLET = {"width": 768, "height": 1024}


def shot(page, name, full_page=False):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def sign_in(page, base, username, password="pw", path="/"):
    page.goto(base + path)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def fits_the_screen(page):
    """No horizontal scrolling at this width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

/* leadcapture browser tracker (docs/website.md). No dependencies, no build step.
 * Embed: <script src="https://LEADCAPTURE_HOST/tracker.js" data-key="SITE_ACCESS_KEY" async></script>
 * Each page view posts a visit under the visitor id kept in the first-party cookie MXCProspectId (also
 * window.MXCProspectId); <form data-leadcapture> posts Lead.Capture with that id, stays on the page and
 * dispatches leadcapture:success or leadcapture:error on the form. With Global Privacy Control or Do Not
 * Track on, no cookie is set and no visit is posted; forms still send what the visitor types (adr/0050).
 */
(() => {
  "use strict";
  if (window.leadcaptureTracker) return; // the tag twice on one page: one tracker
  const script = document.currentScript || document.querySelector("script[data-key][src*='tracker.js']");
  const key = script && script.dataset.key;
  if (!key) {
    console.warn("leadcapture: the tracker's script tag needs data-key=\"SITE_ACCESS_KEY\"");
    return;
  }
  const api = (script.dataset.api || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  const COOKIE = "MXCProspectId";
  const TWO_YEARS = 63072000; // seconds
  const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const nav = navigator;
  const optedOut = nav.globalPrivacyControl === true || nav.doNotTrack === "1" || window.doNotTrack === "1";

  // A random (version 4) GUID; crypto.randomUUID exists only on https and localhost pages.
  const newId = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  const readCookie = () => {
    const found = document.cookie.split("; ").find((c) => c.startsWith(COOKIE + "="));
    const value = found && decodeURIComponent(found.slice(COOKIE.length + 1));
    return value && GUID.test(value) ? value.toLowerCase() : null;
  };

  // The visitor id: null when the visitor asked not to be tracked.
  let visitorId = null;
  if (!optedOut) {
    visitorId = readCookie() || newId();
    // Written on every view, so the two years run from the last visit.
    const secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${COOKIE}=${visitorId}; max-age=${TWO_YEARS}; path=/; SameSite=Lax${secure}`;
    window.MXCProspectId = visitorId;
  }

  const post = (path, body) =>
    fetch(`${api}${path}?accessKey=${encodeURIComponent(key)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit", // the visitor id travels in the body; the API never needs this site's cookies
    });

  if (visitorId) {
    const visit = { ProspectId: visitorId, PageURL: location.href, PageTitle: document.title };
    if (document.referrer) visit.Referrer = document.referrer;
    post("/v2/WebTracking.svc/Visit", visit).catch(() => {}); // a lost page view must not break the page
  }

  const networkError = () => ({
    ExceptionType: "NetworkError",
    ExceptionMessage: "The form could not reach the server",
  });

  // The form's fields as Lead.Capture attributes: text values only (no files), empty ones left out so an
  // optional field left blank never clears what the lead already has (adr/0051).
  const attributes = (form) => {
    const list = [];
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && value.trim() !== "") list.push({ Attribute: name, Value: value });
    }
    if (visitorId) list.push({ Attribute: "ProspectID", Value: visitorId });
    return list;
  };

  // What the answer tells the page: [event name, detail].
  const capture = async (form) => {
    let answer;
    try {
      const response = await post("/v2/LeadManagement.svc/Lead.Capture", attributes(form));
      answer = await response.json();
    } catch {
      return ["error", networkError()];
    }
    if (answer && answer.Status === "Success") return ["success", answer.Message];
    if (answer && answer.ExceptionType) {
      return ["error", { ExceptionType: answer.ExceptionType, ExceptionMessage: answer.ExceptionMessage }];
    }
    return ["error", networkError()];
  };

  // Delegated, so forms added after the page loaded are handled too.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-leadcapture")) return;
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return; // a double click sends once
    form.setAttribute("aria-busy", "true");
    const [name, detail] = await capture(form);
    form.removeAttribute("aria-busy"); // before the event, so its listener may submit the form again
    form.dispatchEvent(new CustomEvent(`leadcapture:${name}`, { bubbles: true, detail }));
  });

  window.leadcaptureTracker = { api, visitorId };
})();

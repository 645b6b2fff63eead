// workshops: follow a mail batch while it is sent (polls the JSON status endpoint). No inline
// scripts (CSP): the page marks the box with data-delivery-status="<url>".
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-delivery-status]");
  if (!box) return;
  const url = box.dataset.deliveryStatus;
  const bar = document.getElementById("delivery-progress");
  const text = document.getElementById("delivery-text");
  const template = box.dataset.text || "{processed} / {total}";
  box.setAttribute("aria-busy", "true");
  let failures = 0;

  function show(status) {
    bar.max = Math.max(status.total, 1);
    bar.value = status.processed;
    text.textContent = template.replace(/\{(\w+)\}/g, (_, key) => String(status[key] ?? ""));
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const status = await response.json();
      show(status);
      if (status.done) {
        box.setAttribute("aria-busy", "false");
        // the server renders the final state with the list of problems
        window.location.reload();
        return;
      }
    } catch (error) {
      failures += 1;
      if (failures > 20) return;
    }
    window.setTimeout(poll, 600);
  }
  poll();
});

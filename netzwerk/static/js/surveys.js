// surveys: the partner autocomplete of the respondent's form. It asks the survey's own
// endpoint (valid link only, at most 20 organisation names) and fills the shared datalist;
// names are set as option values (text), never as markup. No inline scripts (CSP).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-names-url]");
  const list = document.getElementById("organisation-names");
  if (!form || !list) return;
  const url = form.dataset.namesUrl;
  let timer = null;
  let last = "";

  async function lookup(text) {
    if (text.length < 2 || text === last) return;
    last = text;
    try {
      const response = await fetch(`${url}?q=${encodeURIComponent(text)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const data = await response.json();
      list.replaceChildren(
        ...data.items.map((item) => {
          const option = document.createElement("option");
          option.value = item.name;
          return option;
        }),
      );
    } catch (_error) {
      // typing a new name works without suggestions
    }
  }

  form.addEventListener("input", (event) => {
    if (!event.target.classList.contains("org-name")) return;
    clearTimeout(timer);
    const text = event.target.value.trim();
    timer = setTimeout(() => lookup(text), 200);
  });
});

// recipients: "alle auswählen" ticks every addable contact shown
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-check-all]");
  if (!button) return;
  const name = button.dataset.checkAll;
  for (const box of document.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
    box.checked = true;
  }
});

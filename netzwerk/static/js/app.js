// netzwerk: small progressive enhancements shared by all pages. No inline scripts (CSP).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Forms marked data-autosubmit submit when a select changes (filters).
  document.querySelectorAll("form[data-autosubmit] select").forEach((el) => {
    el.addEventListener("change", () => el.form.requestSubmit());
  });
});

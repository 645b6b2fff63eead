// netzwerk: small progressive enhancements shared by all pages. No inline scripts (CSP).
"use strict";
document.documentElement.classList.add("js"); // the CSS collapses menus only where this runs
document.addEventListener("DOMContentLoaded", () => {
  // On a phone the navigation hides behind "Menü".
  const navToggle = document.querySelector(".nav-toggle");
  if (navToggle) {
    navToggle.addEventListener("click", () => {
      const open = navToggle.closest(".site-header").classList.toggle("nav-open");
      navToggle.setAttribute("aria-expanded", String(open));
    });
  }
  // On a phone the map's filters, search and legend open as a drawer over the map.
  const drawerOpen = document.querySelector(".map-drawer-open");
  if (drawerOpen) {
    const setDrawer = (open) => {
      document.body.classList.toggle("map-drawer", open);
      drawerOpen.setAttribute("aria-expanded", String(open));
      const target = open ? document.getElementById("map-controls") : drawerOpen;
      if (open) target.setAttribute("tabindex", "-1");
      target.focus();
    };
    drawerOpen.addEventListener("click", () => setDrawer(true));
    document.querySelector(".map-drawer-close").addEventListener("click", () => setDrawer(false));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && document.body.classList.contains("map-drawer")) setDrawer(false);
    });
  }
  // Forms marked data-autosubmit submit when a select changes (filters).
  document.querySelectorAll("form[data-autosubmit] select").forEach((el) => {
    el.addEventListener("change", () => el.form.requestSubmit());
  });
});

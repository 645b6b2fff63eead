// Power/interest grid: editors drag an actor chip into another cell to set both values.
// The table under the grid does the same with a form per actor (keyboard, no JS needed).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const grid = document.querySelector(".pi-grid[data-editable]");
  if (!grid) return;
  const tokenMeta = document.querySelector('meta[name="csrf-token"]');
  const token = tokenMeta ? tokenMeta.content : "";
  const status = document.getElementById("grid-status");
  let dragged = null;

  const say = (text, isError) => {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  };

  grid.querySelectorAll(".chip[draggable=true]").forEach((chip) => {
    chip.addEventListener("dragstart", (event) => {
      dragged = chip;
      chip.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", chip.dataset.actor);
    });
    chip.addEventListener("dragend", () => {
      chip.classList.remove("dragging");
      dragged = null;
    });
  });

  grid.querySelectorAll(".pi-cell").forEach((cell) => {
    cell.addEventListener("dragover", (event) => {
      if (!dragged) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      cell.classList.add("over");
    });
    cell.addEventListener("dragleave", () => cell.classList.remove("over"));
    cell.addEventListener("drop", (event) => {
      event.preventDefault();
      cell.classList.remove("over");
      if (dragged) move(dragged, cell);
    });
  });

  // Keep the table row in step with the grid, so both forms send the current version.
  const updateRow = (id, data) => {
    const row = document.querySelector(`[data-actor-row="${id}"]`);
    if (!row) return;
    const set = (selector, value) => {
      const el = row.querySelector(selector);
      if (el) el.value = String(value);
    };
    set('[data-field="power"]', data.power);
    set('[data-field="interest"]', data.interest);
    const version = document.querySelector(`#move-${id} [data-field="version"]`);
    if (version) version.value = String(data.version);
    const quadrant = row.querySelector("[data-quadrant]");
    if (quadrant) quadrant.textContent = data.quadrant_label;
  };

  async function move(chip, cell) {
    const list = cell.querySelector(".chips");
    const origin = chip.parentElement;
    if (!list || list === origin) return;
    const next = chip.nextSibling;
    list.appendChild(chip);
    const body = new FormData();
    body.append("power", cell.dataset.power);
    body.append("interest", cell.dataset.interest);
    body.append("version", chip.dataset.version || "");
    body.append("csrf_token", token);
    let data = {};
    let ok = false;
    try {
      const response = await fetch(chip.dataset.url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token, Accept: "application/json" },
      });
      data = await response.json().catch(() => ({}));
      ok = response.ok;
    } catch (error) {
      ok = false;
    }
    if (!ok) {
      origin.insertBefore(chip, next);
      say(data.error || grid.dataset.error, true);
      return;
    }
    chip.dataset.version = String(data.version);
    updateRow(chip.dataset.actor, data);
    say(data.message, false);
  }
});

// netzwerk: the network map. Data from /api/graph, drawn with vis-network (served by our app).
// No inline scripts (CSP); user data only ever reaches the page as text (textContent, DOM nodes,
// canvas labels), never as HTML.
"use strict";

(function () {
  const BIG_GRAPH = 400; // above: straight edges, edges hidden while dragging/zooming
  const FILTER_NAMES = ["topic", "category", "sector", "level", "kind", "status", "reciprocity", "ego",
    "depth", "topics", "ghosts", "nominations", "workshops", "cancelled", "projects", "labels", "size", "ansicht", "at", "seit"];
  const DEFAULTS = { depth: "1", topics: "1", ghosts: "1", nominations: "1", workshops: "1", cancelled: "0",
    projects: "0", labels: "1", size: "degree", ansicht: "netz" };
  const GHOSTS = new Set(["gap", "nomination", "closed_gap"]); // drawn around their topic, never dragged
  const LANDSCAPE_NODE_SIZE = 16; // as netzwerk/network/landscape.py assumes (NODE_SIZE, LABEL_WIDTH)
  const LANDSCAPE_LABEL_WIDTH = 190;
  const RING_FONT = "bold 15px system-ui, sans-serif";
  const SLICE_FONT = "bold 22px system-ui, sans-serif";

  const configEl = document.getElementById("map-config");
  const container = document.getElementById("map-canvas");
  if (!configEl || !container) return;
  const config = JSON.parse(configEl.textContent);
  const form = document.getElementById("map-filters");
  const panel = document.getElementById("map-panel");
  const statusEl = document.getElementById("map-status");
  const TEXTS = Object.assign({}, ...["map-texts", "map-texts-edit"].map((id) => {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }));

  const state = { data: null, byId: new Map(), network: null, nodes: null, edges: null,
    drawnAt: null, loadStarted: null, generation: 0, labelMode: "fixed", viewScale: new Map(), shownAt: null,
    unview: [] };

  // --- small DOM helpers (text only) -----------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // a text of the interface by its German msgid, as map.html translated it; fills {name} slots
  function t(text, values) {
    let out = TEXTS[text] || text;
    for (const [key, value] of Object.entries(values || {})) out = out.split("{" + key + "}").join(String(value));
    return out;
  }

  function say(message) {
    statusEl.textContent = message || "";
  }

  function facts(pairs) {
    const dl = el("dl", { class: "facts" });
    for (const [label, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      dl.append(el("dt", { text: label }), el("dd", { text: String(value) }));
    }
    return dl;
  }

  // --- filters in the URL ----------------------------------------------------------------------

  function currentParams() {
    const params = new URLSearchParams();
    const data = new FormData(form);
    for (const name of FILTER_NAMES) {
      const values = data.getAll(name).map(String).filter((v) => v !== "");
      if (!values.length) continue;
      const value = values[values.length - 1]; // checkboxes follow a hidden "0"
      if (name === "depth" && !data.get("ego")) continue;
      if (DEFAULTS[name] === value) continue;
      params.set(name, value);
    }
    return params;
  }

  function syncUrl(params) {
    const query = params.toString();
    history.replaceState(null, "", config.page + (query ? "?" + query : ""));
    const tableLink = document.getElementById("map-table-link");
    if (tableLink) tableLink.href = config.table + (query ? "?" + query : "");
    const svgLink = document.getElementById("map-svg");
    if (svgLink) svgLink.href = config.svg + (query ? "?" + query : "");
    const ego = document.getElementById("map-ego");
    ego.hidden = !params.get("ego");
  }

  function labelsShown() {
    return currentParams().get("labels") !== "0";
  }

  function sizeMode() {
    return currentParams().get("size") || "degree";
  }

  // --- nodes and edges for vis -----------------------------------------------------------------

  function tooltip(node) {
    const box = el("div", { class: "map-tooltip" });
    box.append(el("strong", { text: node.name || node.label }));
    if (node.change_label) box.append(el("div", { class: "map-change map-change-" + node.change, text: node.change_label }));
    if (node.kind === "actor") {
      box.append(el("div", { text: node.category_label + " · " + node.status_label }));
      if (node.description) box.append(el("div", { class: "map-tooltip-text", text: node.description }));
    } else if (node.kind === "gap") {
      box.append(el("div", { text: node.topic_label + ": " + node.have + "/" + node.need }));
      box.append(el("div", { class: "map-tooltip-text", text: node.reason }));
    } else if (node.kind === "nomination") {
      box.append(el("div", { text: t("genannt von {n} Akteuren", { n: node.named_by }) }));
      box.append(el("div", { class: "map-tooltip-text", text: node.reason }));
    } else if (node.kind === "topic") {
      box.append(el("div", { text: t("{n} Akteure", { n: node.actors }) }));
    } else if (node.kind === "workshop" && node.starts_at) {
      box.append(el("div", { text: node.starts_at }));
    } else if (node.kind === "project") {
      box.append(el("div", { text: node.status + (node.partner_city ? " · " + node.partner_city : "") }));
    }
    return box;
  }

  function pentagon({ ctx, x, y, state: st, style, label }) {
    const r = style.size;
    return {
      drawNode() {
        ctx.beginPath();
        for (let i = 0; i < 5; i += 1) {
          const a = -Math.PI / 2 + (i * 2 * Math.PI) / 5;
          const px = x + r * Math.cos(a);
          const py = y + r * Math.sin(a);
          if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
        }
        ctx.closePath();
        ctx.globalAlpha = style.opacity === undefined ? 1 : style.opacity;
        ctx.fillStyle = style.color;
        ctx.fill();
        ctx.lineWidth = st.selected || st.hover ? style.borderWidth * 2 : style.borderWidth;
        ctx.strokeStyle = style.borderColor;
        ctx.stroke();
      },
      drawExternalLabel() {
        if (!label) return;
        ctx.font = PENTAGON_FONT;
        ctx.textAlign = "center";
        ctx.textBaseline = "top";
        ctx.fillStyle = "#1d2430";
        pentagonLines(ctx, label).forEach((line, i) => ctx.fillText(line, x, y + r + 4 + i * 17));
      },
      nodeDimensions: { width: 2 * r, height: 2 * r },
    };
  }

  // the pentagon's label is ours: in the Akteurslandkarte it wraps like vis-network's labels
  const PENTAGON_FONT = "14px system-ui, sans-serif";
  function pentagonLines(ctx, label) {
    if (!(state.data && state.data.landscape)) return [label];
    const lines = [];
    let line = "";
    for (const word of label.split(" ")) {
      const next = line ? line + " " + word : word;
      if (line && ctx.measureText(next).width > LANDSCAPE_LABEL_WIDTH) { lines.push(line); line = word; } else line = next;
    }
    lines.push(line);
    return lines;
  }

  // the box a node and its label cover; vis-network measures it, except for the pentagon,
  // whose label map.js draws itself (vis-network's box for custom shapes leaves the label out)
  function nodeBox(id) {
    const drawn = state.nodes.get(id);
    if (drawn.shape !== "custom") return state.network.getBoundingBox(id);
    const at = state.network.getPositions([id])[id];
    const r = state.network.body.nodes[id].options.size;
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = PENTAGON_FONT;
    const lines = drawn.label ? pentagonLines(ctx, drawn.label) : [];
    const width = Math.max(2 * r, ...lines.map((l) => ctx.measureText(l).width));
    return { left: at.x - width / 2, right: at.x + width / 2, top: at.y - r,
      bottom: at.y + r + (lines.length ? 4 + lines.length * 17 : 0) };
  }

  function visNode(node, styles, showLabels, size) {
    const base = { id: node.id, x: node.x, y: node.y, label: showLabels ? node.label : "",
      title: tooltip(node) };
    if (node.kind === "actor") {
      const color = styles.categories[node.category] || "#7f7f7f";
      const status = styles.status[node.status];
      const shape = styles.sectors[node.sector] || "dot";
      Object.assign(base, {
        shape: shape === "pentagon" ? "custom" : shape,
        ctxRenderer: shape === "pentagon" ? pentagon : undefined,
        value: size === "power" ? node.power : node.degree + 1,
        color: { background: color, border: status ? status.border : "#2b2b2b",
          highlight: { background: color, border: "#000" }, hover: { background: color, border: "#000" } },
        borderWidth: status ? status.border_width : 1,
        opacity: status ? status.opacity : 1,
      });
    } else if (GHOSTS.has(node.kind)) {
      const s = styles.kinds[node.kind];
      // in the Akteurslandkarte a gap is an empty slot: no fill, only the dashed border
      const fill = state.data && state.data.landscape && node.kind === "gap" ? "#ffffff" : s.color;
      Object.assign(base, { shape: s.shape, size: 12,
        color: { background: fill, border: s.border, highlight: { background: "#fff", border: "#333" } },
        shapeProperties: { borderDashes: styles.gap_dashes }, borderWidth: 2,
        font: { color: s.font, size: 13 } });
    } else {
      const s = styles.kinds[node.kind];
      Object.assign(base, { shape: s.shape,
        color: { background: s.color, border: s.border, highlight: { background: s.color, border: "#000" } },
        font: { color: s.font, size: node.kind === "topic" ? 18 : 13, strokeWidth: 0 }, borderWidth: 2,
        widthConstraint: { maximum: node.kind === "topic" ? 220 : 150 },
        shapeProperties: { borderRadius: node.kind === "topic" ? 4 : 12 },
        label: node.kind === "topic" || showLabels ? node.label : "" });
      if (!base.label) Object.assign(base, { shape: "square", size: 9 }); // an empty box would be a blank frame
    }
    if (state.data && state.data.landscape && node.kind !== "topic") {
      base.widthConstraint = { maximum: LANDSCAPE_LABEL_WIDTH };
    }
    return changed(base, node, styles);
  }

  // the comparison (?seit=): added since with a thick green border, removed since faded and dashed
  function changed(base, item, styles) {
    const s = item.change && styles.changes ? styles.changes[item.change] : null;
    if (!s) return base;
    if (item.change === "new") {
      base.borderWidth = s.border_width;
      base.color = Object.assign({}, base.color, { border: s.border });
    } else {
      base.opacity = s.opacity;
      base.font = Object.assign({}, base.font, { color: "#6b7480" });
      base.shapeProperties = Object.assign({}, base.shapeProperties, { borderDashes: s.dashes });
      base.color = Object.assign({}, base.color, { border: s.border });
    }
    return base;
  }

  function changedEdge(base, edge, styles) {
    const s = edge.change && styles.changes ? styles.changes[edge.change] : null;
    if (!s) return base;
    if (edge.change === "new") {
      base.width = (base.width || 1) + 2;
      base.shadow = { enabled: true, color: s.border, size: 6, x: 0, y: 0 };
    } else {
      base.dashes = s.dashes;
      base.color = Object.assign({}, base.color, { opacity: s.opacity });
    }
    return base;
  }

  function visEdge(edge, styles) {
    return changedEdge(plainEdge(edge, styles), edge, styles);
  }

  function plainEdge(edge, styles) {
    const base = { id: edge.id, from: edge.from, to: edge.to };
    if (edge.kind === "topic_link") {
      const s = styles.roles[edge.role] || {};
      return Object.assign(base, { color: { color: s.color, opacity: 0.8 }, width: s.width, dashes: s.dashes });
    }
    if (edge.kind === "gap" || edge.kind === "workshop" || edge.kind === "project") {
      const s = styles.kinds[edge.kind + "_edge"];
      return Object.assign(base, { color: { color: s.color }, dashes: s.dashes, width: edge.lead ? 3 : 1.5 });
    }
    const s = styles.relations[edge.kind] || {};
    const r = (edge.reciprocity && styles.reciprocity[edge.reciprocity]) || null;
    return Object.assign(base, {
      color: { color: s.color, opacity: r ? r.opacity : 1 },
      dashes: r && r.dashes ? r.dashes : s.dashes,
      width: 1 + (edge.strength || 1) * 0.7 + (r ? r.width_bonus : 0),
      arrows: edge.directed ? "to" : "",
    });
  }

  // --- level of detail: a Land-wide network (issue 10 §5) -------------------------------------
  // Drawing every one of 10,000 actors costs vis-network seconds to set up and a fifth of a second
  // per frame. Above LOD_ACTORS the actors are drawn as their communities (one circle per group,
  // sized by its members, lines summed between groups) and a group opens into its actors once one
  // zooms in on it; topics, gaps and workshops are always drawn themselves.

  const LOD_ACTORS = config.group_above || 3000; // MAP_GROUP_ABOVE in the app's configuration
  const LOD_OPEN_ZOOM = 3; // times the zoom of the whole map at which groups in view open
  const LOD_OPEN_MAX = 2500; // actors opened at once at most (the nearest groups first)

  function groupKey(node) {
    return node.community !== null && node.community !== undefined ? "c" + node.community : "k" + node.category;
  }

  function prepareLod(drawnNodes, drawnEdges) {
    const actors = drawnNodes.filter((n) => state.byId.get(n.id).kind === "actor");
    state.lod = null;
    if (actors.length <= LOD_ACTORS) return null;
    const groups = new Map();
    for (const n of actors) {
      const key = groupKey(state.byId.get(n.id));
      if (!groups.has(key)) groups.set(key, { key, members: [], colours: new Map() });
      const g = groups.get(key);
      g.members.push(n);
      const colour = n.color && n.color.background;
      g.colours.set(colour, (g.colours.get(colour) || 0) + 1);
    }
    for (const g of groups.values()) {
      const xs = g.members.map((n) => n.x);
      const ys = g.members.map((n) => n.y);
      g.x = xs.reduce((a, b) => a + b, 0) / xs.length;
      g.y = ys.reduce((a, b) => a + b, 0) / ys.length;
      g.box = { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
      g.members.sort((a, b) => (state.byId.get(b.id).degree || 0) - (state.byId.get(a.id).degree || 0));
      const colour = [...g.colours].sort((a, b) => b[1] - a[1])[0][0];
      const names = g.members.slice(0, 3).map((n) => state.byId.get(n.id).label);
      const title = el("div", { class: "map-tooltip" }, el("strong", { text: t("{n} Akteure", { n: g.members.length }) }),
        el("div", { text: t("u. a. {names}", { names: names.join(", ") }) }),
        el("div", { text: t("Hineinzoomen zeigt die Akteure.") }));
      g.node = { id: "lod-" + g.key, x: g.x, y: g.y, shape: "dot", size: 10 + 3 * Math.sqrt(g.members.length),
        label: `${names[0]} … (${g.members.length})`, title, fixed: true, borderWidth: 1,
        color: { background: colour, border: "#2b2b2b" } };
    }
    const groupOf = new Map();
    for (const g of groups.values()) for (const n of g.members) groupOf.set(n.id, g);
    state.lod = { groups, groupOf, nodes: drawnNodes, edges: drawnEdges, open: new Set(), baseScale: null };
    return state.lod;
  }

  // the nodes and lines to draw with the groups in `open` opened
  function lodView(lod) {
    const shown = [];
    for (const n of lod.nodes) {
      const g = lod.groupOf.get(n.id);
      if (!g || lod.open.has(g.key)) shown.push(n);
    }
    for (const g of lod.groups.values()) if (!lod.open.has(g.key)) shown.push(g.node);
    const at = (id) => {
      const g = lod.groupOf.get(id);
      return g && !lod.open.has(g.key) ? g.node.id : id;
    };
    const summed = new Map();
    const edges = [];
    for (const e of lod.edges) {
      const from = at(e.from);
      const to = at(e.to);
      if (from === e.from && to === e.to) { edges.push(e); continue; }
      if (from === to) continue;
      const key = from < to ? from + "|" + to : to + "|" + from;
      summed.set(key, (summed.get(key) || 0) + 1);
    }
    for (const [key, count] of summed) {
      const [from, to] = key.split("|");
      edges.push({ id: "lod-" + key, from, to, width: Math.min(8, 1 + Math.log2(count)),
        color: { color: "#8a94a3", opacity: 0.45 }, title: t("{n} Beziehungen", { n: count }) });
    }
    return { nodes: shown, edges };
  }

  // after a zoom: the groups in view open when one is close enough, and close again further out
  function followLod() {
    const lod = state.lod;
    if (!lod) return;
    if (lod.baseScale === null) lod.baseScale = state.network.getScale();
    const scale = state.network.getScale();
    let open = new Set();
    if (scale >= lod.baseScale * LOD_OPEN_ZOOM) {
      const a = state.network.DOMtoCanvas({ x: 0, y: 0 });
      const b = state.network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      const inView = [...lod.groups.values()].filter((g) => g.box.left <= b.x && g.box.right >= a.x
        && g.box.top <= b.y && g.box.bottom >= a.y)
        .sort((g, h) => Math.hypot(g.x - mid.x, g.y - mid.y) - Math.hypot(h.x - mid.x, h.y - mid.y));
      let total = 0;
      for (const g of inView) {
        if (total + g.members.length > LOD_OPEN_MAX && open.size) break;
        open.add(g.key);
        total += g.members.length;
      }
    }
    if (open.size === lod.open.size && [...open].every((k) => lod.open.has(k))) return;
    lod.open = open;
    const view = lodView(lod);
    const keep = new Set(view.nodes.map((n) => n.id));
    state.nodes.remove(state.nodes.getIds().filter((id) => !keep.has(id)));
    const have = new Set(state.nodes.getIds());
    state.nodes.add(view.nodes.filter((n) => !have.has(n.id)));
    state.edges.clear();
    state.edges.add(view.edges);
    container.dataset.nodeCount = String(state.nodes.length);
    container.dataset.openGroups = String(open.size);
  }

  // an actor inside a closed group: zoom to it until its group opens
  function openAround(id) {
    const lod = state.lod;
    const g = lod && lod.groupOf.get(id);
    if (!g || lod.open.has(g.key)) return;
    const n = lod.nodes.find((x) => x.id === id);
    state.network.moveTo({ position: { x: n.x, y: n.y }, scale: lod.baseScale * LOD_OPEN_ZOOM * 1.2, animation: false });
    followLod();
  }

  // --- legible labels (issue 10 §1) ------------------------------------------------------------
  // The stored layout places nodes, not labels. After drawing, the boxes vis-network measured for
  // each node with its label are pushed apart until none overlaps another, and a small map is
  // spread to fill the view at zoom 1. Where that would shrink the labels below LEGIBLE_SCALE
  // (the whole map, hundreds of actors), nodes stay where they are and the labels follow the zoom:
  // drawn at a constant size on screen, the most important first (topics, gaps, workshops, then
  // actors by links), each only where it covers no other; zooming in makes room for the rest.

  const LEGIBLE_MAX = 1500; // nodes; above, labels are drawn as before
  const SEPARATE_MAX = 160; // nodes whose boxes are pushed apart with every label
  const LEGIBLE_SCALE = 0.8; // below this zoom a 14 px label reads smaller than 11 px
  const LABEL_GAP = 6; // canvas px between two boxes; sideways twice that, so names do not run together
  const SPREAD_MAX = 4;
  const ZOOMED_FONT = 0.5; // zoomed far in, labels grow again from half their size
  const BOXED = new Set(["topic", "workshop", "project"]); // vis-network writes their label inside
  const PRIORITY = { topic: 0, key_actor: 1, gap: 2, closed_gap: 2, nomination: 3, workshop: 4, actor: 5, project: 6 };
  const KEY_ACTORS = 0.1; // the share of actors, by links, whose names come right after the topics

  function baseFont(node) {
    if (node.kind === "topic") return 18;
    if (node.kind === "actor") return 14;
    return 13;
  }

  function measuredBoxes(ids) {
    state.network.redraw();
    const boxes = new Map();
    for (const id of ids) {
      const b = nodeBox(id);
      boxes.set(id, { left: b.left, right: b.right, top: b.top, bottom: b.bottom });
    }
    return boxes;
  }

  function overlaps(a, b, gap) {
    return a.left < b.right + 2 * gap && b.left < a.right + 2 * gap && a.top < b.bottom + gap && b.top < a.bottom + gap;
  }

  // push overlapping boxes apart along the axis where they overlap least, half each; deterministic
  function separate(ids, boxes, pos) {
    const order = ids.slice();
    for (let round = 0; round < 400; round += 1) {
      const shift = new Map(ids.map((id) => [id, { x: 0, y: 0, n: 0 }]));
      let moved = false;
      order.sort((a, b) => boxes.get(a).left - boxes.get(b).left || (a < b ? -1 : 1));
      for (let i = 0; i < order.length; i += 1) {
        const a = boxes.get(order[i]);
        for (let j = i + 1; j < order.length; j += 1) {
          const b = boxes.get(order[j]);
          if (b.left >= a.right + 2 * LABEL_GAP) break;
          if (!overlaps(a, b, LABEL_GAP)) continue;
          moved = true;
          const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left) + 2 * LABEL_GAP;
          const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) + LABEL_GAP;
          const sa = shift.get(order[i]);
          const sb = shift.get(order[j]);
          sa.n += 1; sb.n += 1;
          if (dx < dy) {
            const dir = (b.left + b.right) >= (a.left + a.right) ? 1 : -1;
            sa.x -= dir * dx / 2; sb.x += dir * dx / 2;
          } else {
            const dir = (b.top + b.bottom) >= (a.top + a.bottom) ? 1 : -1;
            sa.y -= dir * dy / 2; sb.y += dir * dy / 2;
          }
        }
      }
      if (!moved) return true;
      for (const [id, s] of shift) {
        const b = boxes.get(id);
        if (s.n > 1) { s.x /= Math.sqrt(s.n); s.y /= Math.sqrt(s.n); } // many at once: smaller steps
        b.left += s.x; b.right += s.x; b.top += s.y; b.bottom += s.y;
        pos[id].x += s.x; pos[id].y += s.y;
      }
    }
    return false;
  }

  function extent(boxes) {
    let left = Infinity; let right = -Infinity; let top = Infinity; let bottom = -Infinity;
    for (const b of boxes.values()) {
      left = Math.min(left, b.left); right = Math.max(right, b.right);
      top = Math.min(top, b.top); bottom = Math.max(bottom, b.bottom);
    }
    return { left, right, top, bottom, width: right - left, height: bottom - top };
  }

  // the zoom fit() will choose for these boxes (vis-network leaves a tenth as margin)
  function fitScale(boxes) {
    const e = extent(boxes);
    return Math.min(container.clientWidth / (1.1 * e.width), container.clientHeight / (1.1 * e.height));
  }

  // a small map drawn at zoom 1 fills the view: the nodes move apart about the centre (labels
  // keep their size, so no two come closer)
  function spread(ids, boxes, pos) {
    const e = extent(boxes);
    const cx = (e.left + e.right) / 2;
    const cy = (e.top + e.bottom) / 2;
    let lo = 1;
    let hi = SPREAD_MAX;
    const scaled = (k) => new Map(ids.map((id) => {
      const b = boxes.get(id);
      const dx = (pos[id].x - cx) * (k - 1);
      const dy = (pos[id].y - cy) * (k - 1);
      return [id, { left: b.left + dx, right: b.right + dx, top: b.top + dy, bottom: b.bottom + dy }];
    }));
    if (fitScale(scaled(hi)) >= 1) lo = hi;
    for (let i = 0; i < 20 && hi - lo > 0.01; i += 1) {
      const mid = (lo + hi) / 2;
      if (fitScale(scaled(mid)) >= 1) lo = mid; else hi = mid;
    }
    if (lo <= 1) return;
    for (const id of ids) {
      scaleView(id, lo, lo);
      pos[id].x = cx + (pos[id].x - cx) * lo;
      pos[id].y = cy + (pos[id].y - cy) * lo;
    }
  }

  // how much the view stretched the room around a node: a drag there moves its stored position
  // by the drag divided by that (savePositions)
  function scaleView(id, fx, fy) {
    const f = state.viewScale.get(id) || { x: 1, y: 1 };
    state.viewScale.set(id, { x: f.x * fx, y: f.y * fy });
  }

  function placeLabels() {
    const started = performance.now();
    placeNodesForLabels();
    state.shownAt = state.network.getPositions();
    state.labelTime = performance.now() - started;
  }

  // where a node may step aside so that its name finds room: up, down and sideways by up to
  // twice its label's height or its label's width
  function nudges(box, shape) {
    const h = box.bottom - shape.bottom;
    const w = (box.right - box.left) / 2;
    return [[0, 0], [0, -h], [0, h], [-w, 0], [w, 0], [-w, -h], [w, -h], [-w, h], [w, h],
      [0, -2 * h], [0, 2 * h], [-2 * w, 0], [2 * w, 0], [-w, -2 * h], [w, -2 * h], [-w, 2 * h], [w, 2 * h]];
  }

  function placeNodesForLabels() {
    const ids = state.nodes.getIds();
    state.labelMode = "fixed";
    state.viewScale = new Map();
    if (state.crowded) {
      state.labelMode = "zoom";
      state.basePos = state.network.getPositions(ids);
      state.network.fit({ animation: false });
      followZoom();
      return;
    }
    if (!ids.length || ids.length > LEGIBLE_MAX || state.data.landscape || state.lod) return;
    const wanted = ids.filter((id) => fullLabel(id));
    if (!wanted.length) return;
    if (ids.length <= SEPARATE_MAX) {
      const pos = state.network.getPositions(ids);
      const boxes = measuredBoxes(ids);
      const before = JSON.stringify(pos);
      separate(ids, boxes, pos);
      if (fitScale(boxes) >= LEGIBLE_SCALE) {
        spread(ids, boxes, pos);
        if (JSON.stringify(pos) !== before) {
          state.nodes.update(ids.map((id) => ({ id, x: pos[id].x, y: pos[id].y })));
        }
        return;
      }
    }
    state.labelMode = "zoom";
    const drawnNodes = state.nodes.get();
    arrangeCrowded(drawnNodes);
    state.nodes.update(drawnNodes.map((n) => ({ id: n.id, x: n.x, y: n.y })));
    state.basePos = state.network.getPositions(ids);
    state.network.fit({ animation: false });
    followZoom();
  }

  // a crowded map, before it is drawn: distances evened out, stretched to the view, and the
  // names sized for the zoom at which the whole map will be seen
  function arrangeCrowded(drawnNodes) {
    if (drawnNodes.length < 2) return;
    equalize(drawnNodes);
    stretch(drawnNodes);
    const xs = drawnNodes.map((n) => n.x);
    const ys = drawnNodes.map((n) => n.y);
    const width = Math.max(...xs) - Math.min(...xs) || 1;
    const height = Math.max(...ys) - Math.min(...ys) || 1;
    const zoom = Math.min(container.clientWidth / (1.2 * width), container.clientHeight / (1.2 * height));
    state.grow = Math.max(ZOOMED_FONT, LEGIBLE_SCALE / zoom);
    for (const n of drawnNodes) Object.assign(n, sized(state.byId.get(n.id), n, state.grow));
  }

  // a node's font (and a box's width) for names drawn `grow` times their normal size
  function sized(node, drawn, grow) {
    const out = { font: Object.assign({}, drawn.font, { size: baseFont(node) * grow }) };
    if (node.kind !== "actor" && !GHOSTS.has(node.kind)) {
      out.widthConstraint = { maximum: (node.kind === "topic" ? 220 : 150) * grow };
    }
    return out;
  }

  // a crowded map has a dense core and an empty rim: each node keeps its direction from the
  // centre and its rank in distance, and the distances are evened out so that every ring of the
  // map holds as many nodes as its area allows
  function equalize(drawnNodes) {
    const cx = drawnNodes.reduce((sum, n) => sum + n.x, 0) / drawnNodes.length;
    const cy = drawnNodes.reduce((sum, n) => sum + n.y, 0) / drawnNodes.length;
    const far = drawnNodes.map((n) => ({ n, r: Math.hypot(n.x - cx, n.y - cy) }))
      .sort((a, b) => a.r - b.r || (a.n.id < b.n.id ? -1 : 1));
    const outer = far[far.length - 1].r || 1;
    const evens = far.map((_, rank) => outer * Math.sqrt((rank + 0.5) / far.length));
    far.forEach(({ n, r }, rank) => {
      const k = r ? evens[rank] / r : 0;
      n.x = cx + (n.x - cx) * k;
      n.y = cy + (n.y - cy) * k;
    });
    // back from a shown position to a stored one: the distance found among the others'
    state.unview.push((p) => {
      const shown = Math.hypot(p.x - cx, p.y - cy);
      if (!shown) return { x: cx, y: cy };
      let i = 0;
      while (i < evens.length - 2 && evens[i + 1] < shown) i += 1;
      const span = evens[i + 1] - evens[i];
      const r = Math.max(0, far[i].r + (shown - evens[i]) / (span || 1) * (far[i + 1].r - far[i].r));
      return { x: cx + (p.x - cx) * r / shown, y: cy + (p.y - cy) * r / shown };
    });
  }

  // a round network in a wide view: stretched to the view's proportions, so the labels get the
  // room at the sides
  function stretch(drawnNodes) {
    const xs = drawnNodes.map((n) => n.x);
    const ys = drawnNodes.map((n) => n.y);
    const width = Math.max(...xs) - Math.min(...xs);
    const height = Math.max(...ys) - Math.min(...ys);
    if (!width || !height) return;
    const want = (container.clientWidth / container.clientHeight) / (width / height);
    if (Math.abs(want - 1) < 0.05) return;
    const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
    const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
    const fx = Math.max(want, 1);
    const fy = Math.max(1 / want, 1);
    for (const n of drawnNodes) {
      n.x = cx + (n.x - cx) * fx;
      n.y = cy + (n.y - cy) * fy;
    }
    state.unview.push((p) => ({ x: cx + (p.x - cx) / fx, y: cy + (p.y - cy) / fy }));
  }

  function byPriority(ids) {
    const degree = (id) => state.byId.get(id).degree || 0;
    const actors = ids.filter((id) => state.byId.get(id).kind === "actor")
      .sort((a, b) => degree(b) - degree(a) || (a < b ? -1 : 1));
    const key = new Set(actors.slice(0, Math.ceil(KEY_ACTORS * actors.length)));
    const rank = (id) => PRIORITY[key.has(id) ? "key_actor" : state.byId.get(id).kind] ?? 9;
    return ids.slice().sort((a, b) => rank(a) - rank(b) || degree(b) - degree(a) || (a < b ? -1 : 1));
  }

  // the label a node carries when there is room (topics always: the map is about them)
  function fullLabel(id) {
    const node = state.byId.get(id);
    if (!node) return "";
    return node.kind === "topic" || labelsShown() ? node.label || "" : "";
  }

  // a node with or without its label; a box without its text would be an empty frame, so it
  // shrinks to a small square of its colour
  function withLabel(id, text, size) {
    const node = state.byId.get(id);
    const drawn = state.nodes.get(id);
    const update = { id, label: text };
    if (size) Object.assign(update, sized(node, drawn, size / baseFont(node)));
    if (BOXED.has(node.kind)) Object.assign(update, { shape: text ? "box" : "square", size: 9 });
    return update;
  }

  // at the current zoom: every label at a constant size on screen, important ones first, none
  // over another label or another node; what is left out shows on hover, when zoomed in and in
  // the table view
  function followZoom() {
    if (state.labelMode !== "zoom") return;
    const scale = state.network.getScale();
    const ids = state.nodes.getIds();
    const want = Math.max(ZOOMED_FONT, LEGIBLE_SCALE / scale);
    const resize = Math.abs(want / state.grow - 1) > 0.15; // names resized only on a real zoom
    if (resize) state.grow = want;
    // back to the start: every name shown, every node where the layout put it
    const base = state.basePos || {};
    const hiddenBefore = state.labelsHidden || new Set();
    const nudged = state.nudged || new Set();
    const restore = resize ? ids : ids.filter((id) => hiddenBefore.has(id) || nudged.has(id));
    if (restore.length) {
      state.nodes.update(restore.map((id) => Object.assign(
        withLabel(id, fullLabel(id), resize ? baseFont(state.byId.get(id)) * state.grow : 0), base[id] || {})));
    }
    const wanted = ids.filter((id) => fullLabel(id));
    const boxes = measuredBoxes(wanted);
    const shapes = new Map(ids.map((id) => [id, bareShape(id)]));
    const order = byPriority(wanted);
    const gap = LABEL_GAP / scale;
    const taken = [];
    const hidden = [];
    const moved = new Map();
    const corner = state.network.DOMtoCanvas({ x: 0, y: 0 });
    const far = state.network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
    const inView = (b) => b.left >= corner.x && b.right <= far.x && b.top >= corner.y && b.bottom <= far.y;
    const free = (id, box) => inView(box) && !taken.some((other) => overlaps(box, other, gap))
      && !ids.some((other) => other !== id && overlaps(box, shapes.get(other), 0));
    const shifted = (b, dx, dy) => ({ left: b.left + dx, right: b.right + dx, top: b.top + dy, bottom: b.bottom + dy });
    for (const id of order) {
      const box = boxes.get(id);
      const steps = nudges(box, shapes.get(id));
      let step = steps.find(([dx, dy]) => free(id, shifted(box, dx, dy)));
      if (!step && state.byId.get(id).kind === "topic") { // a topic always shows its name
        step = steps.find(([dx, dy]) => !taken.some((other) => overlaps(shifted(box, dx, dy), other, gap)))
          || [0, 0];
      }
      if (!step) {
        hidden.push(id);
        continue;
      }
      taken.push(shifted(box, step[0], step[1]));
      if (step[0] || step[1]) {
        shapes.set(id, shifted(shapes.get(id), step[0], step[1]));
        moved.set(id, step);
      }
    }
    const at = state.network.getPositions([...moved.keys()]);
    const updates = hidden.map((id) => withLabel(id, ""))
      .concat([...moved].map(([id, [dx, dy]]) => ({ id, x: at[id].x + dx, y: at[id].y + dy })));
    if (updates.length) state.nodes.update(updates);
    state.labelsHidden = new Set(hidden);
    state.nudged = new Set(moved.keys());
    state.shownAt = state.network.getPositions();
  }

  // a node's own shape without its name (a box without its name is drawn as a small square)
  function bareShape(id) {
    const node = state.network.body.nodes[id];
    const r = BOXED.has(state.byId.get(id).kind) ? 9 : node.options.size;
    return { left: node.x - r, right: node.x + r, top: node.y - r, bottom: node.y + r };
  }

  let zoomTimer = null;
  function zoomed() {
    clearTimeout(zoomTimer);
    zoomTimer = setTimeout(() => { followLod(); followZoom(); state.network.redraw(); }, 120);
  }

  // --- drawing ---------------------------------------------------------------------------------

  function options(count, landscape) {
    const big = count > BIG_GRAPH;
    const result = {
      physics: false,
      layout: { improvedLayout: false },
      interaction: { hover: true, tooltipDelay: 150, dragNodes: Boolean(config.can_edit), multiselect: false,
        hideEdgesOnDrag: big, hideEdgesOnZoom: big, keyboard: { enabled: true, bindToWindow: false } },
      // a white halo keeps a name legible where lines cross it
      nodes: { font: { size: 14, face: "system-ui, sans-serif", color: "#1d2430", strokeWidth: 3, strokeColor: "#ffffff" },
        scaling: { min: 8, max: 32, label: { enabled: false } } },
      edges: { smooth: big ? false : { type: "continuous" }, selectionWidth: 2, hoverWidth: 0.5 },
    };
    if (landscape) { // the server placed every node; sizes as it assumed (landscape.py)
      result.nodes.scaling.max = LANDSCAPE_NODE_SIZE;
      result.edges.smooth = false;
      result.edges.color = { opacity: 0.55 };
      result.interaction.dragNodes = false;
    }
    return result;
  }

  // --- the Akteurslandkarte: rings, slice lines and their names under the nodes --------------

  function drawLandscape(ctx) {
    const geo = state.data && state.data.landscape;
    if (!geo) return;
    ctx.save();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#9aa5b1";
    ctx.fillStyle = "#f6f8fa";
    ctx.beginPath();
    ctx.arc(0, 0, geo.radius, 0, 2 * Math.PI);
    ctx.fill();
    const circles = [geo.centre].concat(geo.rings.map((r) => r.outer));
    for (const radius of circles) {
      ctx.beginPath();
      ctx.arc(0, 0, radius, 0, 2 * Math.PI);
      ctx.stroke();
    }
    for (const slice of geo.slices) {
      ctx.beginPath();
      ctx.moveTo(geo.centre * Math.cos(slice.start), geo.centre * Math.sin(slice.start));
      ctx.lineTo(geo.radius * Math.cos(slice.start), geo.radius * Math.sin(slice.start));
      ctx.stroke();
    }
    // ring names along the horizontal line to the left, slice names outside the circle
    ctx.font = RING_FONT;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const ring of geo.rings) {
      const x = -(ring.inner + ring.outer) / 2;
      const width = ctx.measureText(ring.label).width + 10;
      ctx.fillStyle = "#f6f8fa";
      ctx.fillRect(x - width / 2, -10, width, 20);
      ctx.fillStyle = "#4a5563";
      ctx.fillText(ring.label, x, 0);
    }
    ctx.font = SLICE_FONT;
    ctx.fillStyle = "#1d2430";
    for (const slice of sliceLabels(geo)) {
      ctx.textAlign = slice.align;
      ctx.textBaseline = slice.baseline;
      ctx.fillText(slice.label, slice.x, slice.y);
    }
    ctx.restore();
  }

  function sliceLabels(geo) {
    return geo.slices.map((slice) => {
      const angle = (slice.start + slice.end) / 2;
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      return { label: slice.label, x: (geo.radius + 16) * cos, y: (geo.radius + 16) * sin,
        align: Math.abs(cos) < 0.2 ? "center" : cos > 0 ? "left" : "right",
        baseline: Math.abs(sin) < 0.2 ? "middle" : sin > 0 ? "top" : "bottom" };
    });
  }

  // the whole circle with its slice names in view (fit() would only see the nodes)
  function fitLandscape() {
    const geo = state.data.landscape;
    const width = container.clientWidth || 800;
    const height = container.clientHeight || 600;
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = SLICE_FONT;
    let extentX = geo.radius;
    let extentY = geo.radius;
    for (const slice of sliceLabels(geo)) {
      const w = ctx.measureText(slice.label).width;
      const left = slice.align === "center" ? slice.x - w / 2 : slice.align === "left" ? slice.x : slice.x - w;
      extentX = Math.max(extentX, Math.abs(left), Math.abs(left + w));
      extentY = Math.max(extentY, Math.abs(slice.y) + 30);
    }
    extentX += 12;
    extentY += 12;
    const scale = Math.min(width / (2 * extentX), height / (2 * extentY));
    state.network.moveTo({ position: { x: 0, y: 0 }, scale, animation: false });
  }

  function draw(data) {
    state.data = data;
    document.body.classList.toggle("landscape-view", Boolean(data.landscape));
    state.byId = new Map(data.nodes.map((n) => [n.id, n]));
    const showLabels = labelsShown();
    const size = sizeMode();
    const drawnNodes = data.nodes.map((n) => visNode(n, data.styles, showLabels, size));
    state.unview = [];
    state.grow = 1;
    const drawnEdges = data.edges.map((e) => visEdge(e, data.styles));
    const lod = data.landscape ? (state.lod = null) : prepareLod(drawnNodes, drawnEdges);
    const view = lod ? lodView(lod) : { nodes: drawnNodes, edges: drawnEdges };
    state.crowded = !data.landscape && !lod && drawnNodes.length > SEPARATE_MAX && drawnNodes.length <= LEGIBLE_MAX;
    if (state.crowded) arrangeCrowded(drawnNodes);
    state.nodes = new vis.DataSet(view.nodes);
    state.edges = new vis.DataSet(view.edges);
    container.dataset.state = "drawing";
    if (!state.network) {
      state.network = new vis.Network(container, { nodes: state.nodes, edges: state.edges },
        options(data.nodes.length, Boolean(data.landscape)));
      bindNetwork(state.network);
    } else {
      state.network.setOptions(options(data.nodes.length, Boolean(data.landscape)));
      state.network.setData({ nodes: state.nodes, edges: state.edges });
    }
    state.generation += 1;
    state.pendingDraw = state.generation;
    if (data.landscape) {
      state.shownAt = null;
      fitLandscape();
    } else {
      placeLabels();
      if (state.labelMode !== "zoom") state.network.fit({ animation: false });
      if (state.lod) state.lod.baseScale = state.network.getScale();
    }
    fillSearchList(data.nodes);
    if (config.focus && !state.focusShown) { // "Auf der Karte zeigen": once, on the first drawing
      state.focusShown = true;
      if (state.byId.has(config.focus)) {
        state.network.selectNodes([config.focus]);
        state.network.focus(config.focus, { scale: 1.4, animation: false });
        showPanel(config.focus);
      }
    }
    const c = data.counts;
    // singular and plural ("1 Thema", "2 Themen"): German and English both use one form for 1
    const count = (n, one, many) => t(n === 1 ? one : many, { n });
    const parts = [t("{actors} von {all} Akteuren", { actors: c.actors, all: c.all_actors }),
      count(c.topics, "{n} Thema", "{n} Themen"), count(c.gaps, "{n} Lücke", "{n} Lücken"),
      count(c.workshops, "{n} Workshop", "{n} Workshops")];
    if (c.projects) parts.push(count(c.projects, "{n} Projekt", "{n} Projekte"));
    if (c.nominations) parts.push(t("{n} genannte Organisationen", { n: c.nominations }));
    if (data.since) {
      parts.push(t("{n} neu", { n: c.added }), t("{n} entfernt", { n: c.removed }),
        t("{n} Lücken geschlossen", { n: c.closed_gaps }));
    }
    const lang = document.documentElement.lang || "de";
    const day = data.at ? new Date(data.at + "T12:00:00").toLocaleDateString(lang) : "";
    say((day ? t("Stand am {date}", { date: day }) + ": " : "") + parts.join(", "));
  }

  function bindNetwork(network) {
    network.on("beforeDrawing", drawLandscape);
    network.on("afterDrawing", () => {
      if (state.pendingDraw && state.pendingDraw === state.generation) {
        state.pendingDraw = null;
        state.drawnAt = performance.now();
        container.dataset.nodeCount = String(state.nodes.length);
        container.dataset.edgeCount = String(state.edges.length);
        container.dataset.state = "ready";
        container.dispatchEvent(new CustomEvent("map:drawn", { detail: { nodes: state.nodes.length } }));
      }
    });
    network.on("zoom", zoomed);
    network.on("click", (params) => {
      const group = params.nodes.length && state.lod && String(params.nodes[0]).startsWith("lod-")
        ? [...state.lod.groups.values()].find((g) => g.node.id === params.nodes[0]) : null;
      if (group) { // a group opens where one clicks it
        state.network.moveTo({ position: { x: group.x, y: group.y },
          scale: state.lod.baseScale * LOD_OPEN_ZOOM * 1.2, animation: false });
        followLod();
        return;
      }
      if (params.nodes.length) showPanel(params.nodes[0]);
    });
    network.on("dragEnd", (params) => {
      if (state.labelMode === "zoom") {
        Object.assign(state.basePos, state.network.getPositions(params.nodes));
        zoomed();
      }
      if (!config.can_edit || !params.nodes.length) return;
      savePositions(params.nodes.filter((id) => state.byId.get(id) && !GHOSTS.has(state.byId.get(id).kind)
        && state.byId.get(id).change !== "removed"));
    });
  }

  async function load() {
    const params = currentParams();
    syncUrl(params);
    state.loadStarted = performance.now();
    container.dataset.state = "loading";
    say(t("Karte wird geladen …"));
    let response;
    try {
      response = await fetch(config.api + "?" + params.toString(), {
        headers: { Accept: "application/json" }, credentials: "same-origin" });
    } catch (err) {
      say(t("Die Karte konnte nicht geladen werden: {error}", { error: err.message }));
      container.dataset.state = "error";
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      say(body.error || t("Die Karte konnte nicht geladen werden."));
      container.dataset.state = "error";
      return;
    }
    draw(body);
  }

  // --- side panel ------------------------------------------------------------------------------

  function link(href, text, cls) {
    return href ? el("a", { href, class: cls || "button small" }, text) : null;
  }

  function showPanel(id) {
    const node = state.byId.get(id);
    if (!node) return;
    const close = el("button", { type: "button", class: "link-button map-panel-close" }, t("Schließen"));
    close.addEventListener("click", () => {
      const hadFocus = panel.contains(document.activeElement);
      panel.hidden = true;
      state.network.unselectAll();
      if (hadFocus) document.getElementById("map-search-input").focus(); // keyboard users stay on the page
    });
    const parts = [close, el("h2", { text: node.name || node.label })];
    if (node.change_label) parts.push(el("p", { class: "map-change map-change-" + node.change, text: node.change_label }));
    if (node.kind === "closed_gap") {
      parts.push(facts([[t("Thema"), node.topic_label], [t("Kategorie"), node.category_label],
        [t("vorhanden / nötig"), `${node.have} / ${node.need}`]]));
      parts.push(el("p", { class: "map-reason", text: node.reason }));
    } else if (node.kind === "actor" && node.change === "removed") {
      parts.push(facts([
        [t("Kategorie"), node.category_label], [t("Sektor"), node.sector_label], [t("Ebene"), node.level_label],
        [t("Status"), node.status_label], [t("Ort"), node.city],
      ]));
    } else if (node.kind === "actor") {
      parts.push(facts([
        [t("Kategorie"), node.category_label], [t("Sektor"), node.sector_label], [t("Ebene"), node.level_label],
        [t("Status"), node.status_label], [t("Ort"), node.city], [t("Einfluss / Interesse"), `${node.power} / ${node.interest}`],
      ]));
      parts.push(el("h3", { text: t("Kennzahlen") }));
      parts.push(facts([
        [t("Beziehungen (Grad)"), node.degree], [t("Vermittlung (Betweenness)"), node.betweenness.toFixed(3)],
        [t("Gruppe (Community)"), node.community === null || node.community === undefined ? "" : node.community + 1],
      ]));
      if (node.description) parts.push(el("p", { class: "description", text: node.description }));
      const actions = el("p", { class: "actions" }, link(node.url, t("Akteursseite")),
        config.can_edit ? link(node.edit_url, t("Bearbeiten")) : null);
      const ego = el("button", { type: "button", class: "button small" }, t("Nachbarschaft zeigen"));
      ego.addEventListener("click", () => setEgo(node.id));
      actions.append(ego);
      parts.push(actions);
    } else if (node.kind === "gap") {
      parts.push(facts([[t("Thema"), node.topic_label], [t("vorhanden / nötig"), `${node.have} / ${node.need}`],
        [t("vorgemerkt (Kandidaten)"), node.candidates || ""]]));
      parts.push(el("p", { class: "map-reason", text: node.reason }));
      if (node.candidate_actors && node.candidate_actors.length) {
        parts.push(el("p", { text: t("Vorgemerkt: {actors}", { actors: node.candidate_actors.map((a) => a.label).join(", ") }) }));
      }
      if (config.can_edit) {
        parts.push(el("p", { class: "actions" }, link(node.link_url, t("Vorhandenen Akteur zuordnen"), "button primary"),
          link(node.create_url, t("Akteur anlegen"), "button")));
      }
    } else if (node.kind === "nomination") {
      parts.push(facts([[t("Thema"), node.topic_label], [t("Kategorie"), node.category_label],
        [t("genannt von"), node.named_by_actors.map((a) => a.label).join(", ")]]));
      parts.push(el("p", { class: "map-reason", text: node.reason }));
      if (node.candidate_actors && node.candidate_actors.length) {
        parts.push(el("p", { text: t("Vorgemerkt: {actors}", { actors: node.candidate_actors.map((a) => a.label).join(", ") }) }));
      }
      if (config.can_edit) {
        parts.push(el("p", { class: "actions" }, node.status === "offen" ? link(node.create_url, t("Akteur anlegen"), "button primary") : null,
          link(node.review_url, t("In der Prüfliste"))));
      }
    } else if (node.kind === "topic") {
      parts.push(facts([[t("Akteure"), node.actors], [t("Priorität"), node.priority]]));
      const only = el("button", { type: "button", class: "button small" }, t("Nur dieses Thema"));
      only.addEventListener("click", () => { form.elements.topic.value = String(node.topic_id); load(); });
      parts.push(el("p", { class: "actions" }, link(node.url, t("Themenseite")), only));
    } else if (node.kind === "workshop") {
      parts.push(facts([[t("Beginn"), node.starts_at], [t("Status"), node.status], [t("Teilnehmende"), node.participants]]));
      if (node.url) parts.push(el("p", {}, link(node.url, t("Workshopseite"))));
    } else if (node.kind === "project") {
      parts.push(facts([[t("Status"), node.status], [t("Partnerstadt"), node.partner_city || "–"],
        [t("Beteiligte Akteure"), node.members]]));
      if (node.url) parts.push(el("p", {}, link(node.url, t("Projektseite"))));
    }
    panel.replaceChildren(...parts.filter(Boolean));
    panel.hidden = false;
  }

  function setEgo(id) {
    form.elements.ego.value = id;
    const node = state.byId.get(id);
    document.getElementById("map-ego-text").textContent = t("Nachbarschaft von {name}", { name: node ? node.label : id });
    load();
  }

  // --- search ----------------------------------------------------------------------------------

  function fillSearchList(nodes) {
    const list = document.getElementById("map-actor-names");
    list.replaceChildren(...nodes.filter((n) => n.kind === "actor").map((n) => el("option", { value: n.name })));
  }

  function search(text) {
    const query = text.trim().toLocaleLowerCase("de");
    if (!query) return;
    const actors = state.data ? state.data.nodes.filter((n) => n.kind === "actor") : [];
    const found = actors.find((n) => n.name.toLocaleLowerCase("de") === query)
      || actors.find((n) => (n.name + " " + n.label).toLocaleLowerCase("de").includes(query));
    if (!found) {
      say(t("Kein Akteur „{name}“ in der aktuellen Ansicht.", { name: text }));
      return;
    }
    openAround(found.id);
    state.network.selectNodes([found.id]);
    state.network.focus(found.id, { scale: 1.4, animation: { duration: 400 } });
    showPanel(found.id);
    panel.focus(); // the found actor's details and actions come next for keyboard users
    say(t("{name} gefunden.", { name: found.name }));
  }

  // --- editing: positions and "Neu anordnen" ---------------------------------------------------

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": config.csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  async function savePositions(ids) {
    if (!ids.length) return;
    const positions = state.network.getPositions(ids);
    // the view may show the nodes moved apart for their labels: the stored position moves by
    // the drag, scaled back
    const items = ids.map((id) => {
      const node = state.byId.get(id);
      const shown = (state.shownAt || {})[id];
      const f = (state.viewScale && state.viewScale.get(id)) || { x: 1, y: 1 };
      if (state.labelMode === "zoom" && state.unview.length) {
        return Object.assign({ id }, state.unview.reduceRight((p, back) => back(p), positions[id]));
      }
      if (!shown || node.x === undefined) return { id, x: positions[id].x, y: positions[id].y };
      return { id, x: node.x + (positions[id].x - shown.x) / f.x, y: node.y + (positions[id].y - shown.y) / f.y };
    });
    try {
      await post(config.positions, { positions: items });
      for (const item of items) {
        const node = state.byId.get(item.id);
        node.x = item.x; node.y = item.y;
        if (state.shownAt) state.shownAt[item.id] = positions[item.id];
      }
      say(items.length === 1 ? t("Position gespeichert.") : t("{n} Positionen gespeichert.", { n: items.length }));
    } catch (err) {
      say(t("Position nicht gespeichert: {error}", { error: err.message }));
    }
  }

  async function relayout() {
    if (!window.confirm(t("Alle Positionen neu berechnen? Von Hand verschobene Knoten werden neu angeordnet."))) return;
    say(t("Karte wird neu angeordnet …"));
    try {
      const result = await post(config.layout, {});
      await load();
      say(t("{nodes} Knoten neu angeordnet ({seconds} s).", { nodes: result.nodes, seconds: result.seconds }));
    } catch (err) {
      say(t("Neu anordnen fehlgeschlagen: {error}", { error: err.message }));
    }
  }

  // --- PNG export ------------------------------------------------------------------------------

  function exportPng() {
    const source = container.querySelector("canvas");
    if (!source) return;
    const landscape = Boolean(state.data && state.data.landscape);
    const canvas = landscape ? landscapeImage(source) : document.createElement("canvas");
    if (!landscape) {
      canvas.width = source.width;
      canvas.height = source.height;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(source, 0, 0);
    }
    const name = landscape ? "akteurslandkarte.png" : "netzwerkkarte.png";
    canvas.toBlob((blob) => {
      const url = URL.createObjectURL(blob);
      const a = el("a", { href: url, download: name, class: "visually-hidden" }, "PNG");
      document.body.append(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 10000);
      say(t("PNG gespeichert."));
    }, "image/png");
  }

  // the Akteurslandkarte as a picture for the steering group: title and date above, the
  // legend (rings, slots, candidates) to the right of the drawing
  function landscapeImage(source) {
    const ratio = source.width / (container.clientWidth || source.width);
    const head = 70 * ratio;
    const side = 330 * ratio;
    const canvas = document.createElement("canvas");
    canvas.width = source.width + side;
    canvas.height = Math.max(source.height + head, head + 420 * ratio);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(source, 0, head);
    ctx.scale(ratio, ratio);
    const topic = form.elements.topic && form.elements.topic.value
      ? form.elements.topic.selectedOptions[0].textContent.trim() : t("alle Themen");
    const lang = document.documentElement.lang || "de";
    ctx.fillStyle = "#1d2430";
    ctx.textBaseline = "top";
    ctx.font = "bold 22px system-ui, sans-serif";
    ctx.fillText(t("Akteurslandkarte") + ": " + topic, 16, 12);
    ctx.font = "15px system-ui, sans-serif";
    ctx.fillText(t("Stand: {date}", { date: shownDay(lang) }), 16, 42);
    const x = source.width / ratio + 10;
    let y = 80;
    const styles = state.data.styles;
    ctx.font = "bold 17px system-ui, sans-serif";
    ctx.fillText(t("Legende"), x, y);
    y += 30;
    ctx.font = "14px system-ui, sans-serif";
    state.data.landscape.rings.forEach((ring, i) => {
      ctx.fillText(`${i + 1}. ${ring.label}` + (i === 0 ? " (" + t("innen") + ")" : ""), x, y);
      y += 22;
    });
    y += 10;
    const samples = [
      [styles.kinds.gap.border, "#ffffff", true, t("fehlende Akteursgruppe (leerer Platz)")],
      [styles.kinds.nomination.border, styles.kinds.nomination.color, true, t("in einer Befragung genannt, fehlt im Netzwerk")],
      [styles.status.kandidat ? styles.status.kandidat.border : "#8a5a00", "#d5dae1", false, t("Kandidat (dicker Rand)")],
    ];
    for (const [border, fill, dashed, text] of samples) {
      ctx.beginPath();
      ctx.arc(x + 9, y + 8, 8, 0, 2 * Math.PI);
      ctx.fillStyle = fill;
      ctx.fill();
      ctx.setLineDash(dashed ? styles.gap_dashes : []);
      ctx.lineWidth = dashed ? 2 : 3;
      ctx.strokeStyle = border;
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#1d2430";
      wrapText(ctx, text, x + 26, y, 290, 18).forEach(() => { y += 18; });
      y += 8;
    }
    ctx.fillText(t("Farbe: Kategorie, Form: Sektor"), x, y + 6);
    return canvas;
  }

  // the day the map shows: "Stand am" (?at=) or today
  function shownDay(lang) {
    const at = state.data && state.data.at;
    return (at ? new Date(at + "T12:00:00") : new Date()).toLocaleDateString(lang);
  }

  function wrapText(ctx, text, x, y, width, lineHeight) {
    const lines = [];
    let line = "";
    for (const word of text.split(" ")) {
      const next = line ? line + " " + word : word;
      if (line && ctx.measureText(next).width > width) { lines.push(line); line = word; } else line = next;
    }
    lines.push(line);
    lines.forEach((l, i) => ctx.fillText(l, x, y + i * lineHeight));
    return lines;
  }

  // --- wiring ----------------------------------------------------------------------------------

  form.addEventListener("change", (event) => {
    const name = event.target.name;
    if (name === "labels" || name === "size") {
      syncUrl(currentParams());
      if (state.data) {
        const showLabels = labelsShown();
        const size = sizeMode();
        const drawn = new Set(state.nodes.getIds());
        state.nodes.update(state.data.nodes.filter((n) => drawn.has(n.id)).map((n) => {
          const v = visNode(n, state.data.styles, showLabels, size);
          return { id: v.id, label: v.label, value: v.value };
        }));
        if (state.labelMode === "zoom") followZoom();
      }
      return;
    }
    load();
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  document.getElementById("map-search").addEventListener("submit", (event) => {
    event.preventDefault();
    search(document.getElementById("map-search-input").value);
  });
  document.getElementById("map-ego-clear").addEventListener("click", () => {
    form.elements.ego.value = "";
    load();
  });
  document.getElementById("map-png").addEventListener("click", exportPng);
  // printing the Akteurslandkarte: the canvas takes the A4 landscape size of map.css, the
  // circle is fitted into it, and title, date and ring names are written above it
  const PRINT_SIZE = { width: 1040, height: 620 }; // 277 mm × 165 mm at 96 dpi
  window.addEventListener("beforeprint", () => {
    if (!state.network || !state.data || !state.data.landscape) return;
    const topic = form.elements.topic && form.elements.topic.value
      ? form.elements.topic.selectedOptions[0].textContent.trim() : t("alle Themen");
    const lang = document.documentElement.lang || "de";
    document.getElementById("map-print-title").textContent = t("Akteurslandkarte") + ": " + topic;
    document.getElementById("map-print-legend").textContent = [
      t("Stand: {date}", { date: shownDay(lang) }),
      state.data.landscape.rings.map((r, i) => `${i + 1}. ${r.label}`).join(", ") + " (" + t("innen") + " → " + t("außen") + ")",
      t("gestrichelter leerer Kreis: fehlende Akteursgruppe (leerer Platz)"),
      t("Farbe: Kategorie, Form: Sektor"),
    ].join(" · ");
    container.style.width = PRINT_SIZE.width + "px";
    container.style.height = PRINT_SIZE.height + "px";
    state.network.setSize(PRINT_SIZE.width + "px", PRINT_SIZE.height + "px");
    fitLandscape();
    state.network.redraw();
  });
  window.addEventListener("afterprint", () => {
    if (!state.network || !state.data || !state.data.landscape) return;
    container.style.width = "";
    container.style.height = "";
    state.network.setSize("100%", "100%");
    fitLandscape();
    state.network.redraw();
  });
  // the time line under "Stand am": dragging shows the day, letting go draws the map of that day
  const slider = document.getElementById("f-at-slider");
  if (slider) {
    const dayOf = (steps) => {
      const day = new Date(slider.dataset.first + "T12:00:00Z");
      day.setUTCDate(day.getUTCDate() + Number(steps));
      return day.toISOString().slice(0, 10);
    };
    const showDay = () => {
      const last = slider.value === slider.max;
      const text = last ? t("heute")
        : new Date(dayOf(slider.value) + "T12:00:00").toLocaleDateString(document.documentElement.lang || "de");
      document.getElementById("f-at-slider-day").textContent = text;
      slider.setAttribute("aria-valuetext", text);
    };
    slider.addEventListener("input", showDay);
    slider.addEventListener("change", () => {
      form.elements.at.value = slider.value === slider.max ? "" : dayOf(slider.value);
    });
    form.elements.at.addEventListener("change", () => {
      const first = new Date(slider.dataset.first + "T12:00:00Z");
      const at = form.elements.at.value ? new Date(form.elements.at.value + "T12:00:00Z") : null;
      slider.value = at ? String(Math.round((at - first) / 86400000)) : slider.max;
      showDay();
    });
    showDay();
  }
  const relayoutButton = document.getElementById("map-relayout");
  if (relayoutButton) relayoutButton.addEventListener("click", relayout);

  // test and benchmark hook: read-only views of the drawn map
  window.netzwerkMap = {
    nodeCount: () => (state.nodes ? state.nodes.length : 0),
    nodeIds: () => (state.nodes ? state.nodes.getIds() : []),
    node: (id) => state.byId.get(id),
    visNode: (id) => (state.nodes ? state.nodes.get(id) : null),
    positions: () => (state.network ? state.network.getPositions() : {}),
    boundingBoxes: () => Object.fromEntries((state.nodes ? state.nodes.getIds() : [])
      .map((id) => [id, nodeBox(id)])),
    landscape: () => (state.data ? state.data.landscape || null : null),
    canvasPosition: (id) => state.network.canvasToDOM(state.network.getPositions([id])[id]),
    drawnAt: () => state.drawnAt,
    labelMode: () => state.labelMode,
    groups: () => (state.lod ? { count: state.lod.groups.size, open: state.lod.open.size } : null),
    labelTime: () => state.labelTime, // ms the names took to place on the last drawing
    scale: () => (state.network ? state.network.getScale() : 1),
    selected: () => (state.network ? state.network.getSelectedNodes() : []),
    search,
  };

  load();
})();

// The text strip: a text as a row of coloured characters whose details show on hover.
//
// An anywidget ES module (no build step). The kernel sends everything to draw
// (course_utils/widgets/text_strip.py): one entry per position in `tokens`, `colours`,
// `marked`, `titles`, `rows` and `predictions`. This module only paints them and reports
// one thing back: `selected`, the position a person clicked (or chose with Enter).
//
// Pointer: hovering a character shows its details in the panel under the text; clicking
// selects it. Keyboard: the text is one tab stop; ← → move along it (↑ ↓ by ten,
// Home/End), Enter or Space selects. Away from the text the panel shows the selected one.

let instances = 0;

// Black or white ink, whichever reads better on a "#rrggbb" background.
function ink(hex) {
  const value = parseInt(hex.slice(1), 16);
  const [r, g, b] = [(value >> 16) & 255, (value >> 8) & 255, value & 255];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 127.5 ? "#000" : "#fff";
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el }) {
  const id = `cu-strip-${++instances}`;
  const root = element("div", "cu-strip-root");
  const legend = element("div", "cu-strip-legend");
  const text = element("div", "cu-strip-text");
  text.tabIndex = 0;
  text.setAttribute("role", "listbox");
  text.setAttribute("aria-label", "text: hover, click, or use the arrow keys to see each character's values");
  // JupyterLab and Notebook 7 read keys before the page does; this attribute keeps their
  // shortcuts (arrows move between cells, Enter edits) off the text while it has the focus.
  text.setAttribute("data-lm-suppress-shortcuts", "true");
  const detail = element("div", "cu-strip-detail");
  detail.setAttribute("aria-live", "polite");
  root.append(legend, text, detail);
  el.appendChild(root);

  let spans = [];
  let active = -1; // the position under the pointer or the keyboard cursor; -1 if none

  function build() {
    text.replaceChildren();
    const separator = model.get("separator");
    spans = model.get("tokens").map((token, index) => {
      if (index > 0 && separator) text.append(separator);
      const span = element("span", "cu-strip-char", token === "\n" ? "⏎" : token);
      span.id = `${id}-${index}`;
      span.dataset.index = String(index);
      span.setAttribute("role", "option");
      text.append(span);
      if (token === "\n") text.append(document.createElement("br"));
      return span;
    });
    if (active >= spans.length) active = -1;
  }

  function paint() {
    const colours = model.get("colours");
    const marked = model.get("marked");
    const selected = model.get("selected");
    spans.forEach((span, index) => {
      const colour = colours[index] || "#ffffff";
      span.style.background = colour;
      span.style.color = ink(colour);
      span.classList.toggle("cu-strip-marked", Boolean(marked[index]));
      span.classList.toggle("cu-strip-selected", index === selected);
      span.setAttribute("aria-selected", index === selected ? "true" : "false");
      span.classList.toggle("cu-strip-active", index === active);
    });
  }

  function paintLegend() {
    const info = model.get("legend") || {};
    legend.replaceChildren();
    if (!info.colours || !info.colours.length) return;
    const bar = element("span", "cu-strip-bar");
    bar.style.background = `linear-gradient(to right, ${info.colours.join(", ")})`;
    legend.append(element("span", "cu-strip-legend-label", info.label || ""),
                  element("span", "cu-strip-legend-end", info.low || ""), bar,
                  element("span", "cu-strip-legend-end", info.high || ""));
    if (info.note) legend.append(element("span", "cu-strip-legend-note", info.note));
  }

  // The panel: what hovering (or the keyboard cursor) shows; the selected position otherwise.
  function showDetail() {
    const selected = model.get("selected");
    const index = active >= 0 ? active : selected;
    detail.replaceChildren();
    detail.dataset.index = String(index);
    if (index < 0 || index >= spans.length) {
      detail.append(element("div", "cu-strip-hint", model.get("hint")));
      return;
    }
    const title = element("div", "cu-strip-title", model.get("titles")[index] || "");
    if (index === selected) title.append(element("span", "cu-strip-pin", "selected"));
    detail.append(title);
    const rows = element("div", "cu-strip-rows");
    for (const [label, value] of model.get("rows")[index] || []) {
      const row = element("span", "cu-strip-row");
      row.append(element("span", "cu-strip-label", label), element("span", "cu-strip-value", value));
      rows.append(row);
    }
    detail.append(rows);
    const predictions = model.get("predictions")[index] || [];
    if (predictions.length) {
      const line = element("div", "cu-strip-predictions");
      line.append(element("span", "cu-strip-label", model.get("predictions_label")));
      for (const [token, probability] of predictions) {
        const item = element("span", "cu-strip-prediction");
        item.append(element("code", "", token), element("span", "cu-strip-value", probability));
        line.append(item);
      }
      detail.append(line);
    }
  }

  function setActive(index) {
    active = index;
    if (index >= 0 && spans[index]) text.setAttribute("aria-activedescendant", spans[index].id);
    else text.removeAttribute("aria-activedescendant");
    spans.forEach((span, i) => span.classList.toggle("cu-strip-active", i === active));
    showDetail();
  }

  function select(index) {
    if (index < 0 || index >= spans.length) return;
    model.set("selected", index);
    model.save_changes();
  }

  function indexOf(target) {
    const span = target.closest ? target.closest(".cu-strip-char") : null;
    return span && text.contains(span) ? Number(span.dataset.index) : -1;
  }

  const handlers = {
    mouseover: (event) => {
      const index = indexOf(event.target);
      if (index >= 0 && index !== active) setActive(index);
    },
    mouseleave: () => setActive(document.activeElement === text ? active : -1),
    click: (event) => {
      const index = indexOf(event.target);
      if (index < 0) return;
      // The notebook takes focus on mousedown; give it back so that the keys move along the text.
      text.focus({ preventScroll: true });
      setActive(index);
      select(index);
    },
    focus: () => {
      if (active < 0) setActive(Math.max(0, model.get("selected")));
    },
    blur: () => setActive(-1),
    keydown: (event) => {
      const last = spans.length - 1;
      const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 10, ArrowUp: -10 };
      let next = active;
      if (event.key in moves) next = Math.min(last, Math.max(0, active + moves[event.key]));
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = last;
      else if (event.key === "Enter" || event.key === " ") {
        select(active);
      } else return;
      event.preventDefault();
      event.stopPropagation(); // keep the notebook's own shortcuts out of it
      if (next !== active) {
        setActive(next);
        spans[next].scrollIntoView({ block: "nearest" });
      }
    },
  };
  for (const [name, handler] of Object.entries(handlers)) text.addEventListener(name, handler);

  function redraw() {
    build();
    paint();
    showDetail();
  }
  const repaint = () => {
    paint();
    showDetail();
  };
  model.on("change:tokens", redraw);
  model.on("change:separator", redraw);
  model.on("change:colours", paint);
  model.on("change:marked", paint);
  model.on("change:selected", repaint);
  model.on("change:legend", paintLegend);
  for (const name of ["titles", "rows", "predictions", "predictions_label", "hint"]) {
    model.on(`change:${name}`, showDetail);
  }
  paintLegend();
  redraw();

  return () => {
    for (const [name, handler] of Object.entries(handlers)) text.removeEventListener(name, handler);
  };
}

export default { render };

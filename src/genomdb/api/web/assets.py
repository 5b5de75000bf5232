"""The browser's only static files: one stylesheet and one small script (table sorting and filtering)."""

from __future__ import annotations

STYLESHEET = """
:root {
  --ink: #1d2733;
  --muted: #5b6777;
  --line: #d8dee6;
  --accent: #0b5cad;
  --warn: #8a4b00;
  --bg: #f6f8fa;
}
* { box-sizing: border-box; }
body {
  margin: 0;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink);
}
header {
  background: #10243a;
  color: #fff;
  padding: .6rem 1.2rem;
  display: flex;
  gap: 1.2rem;
  align-items: center;
  flex-wrap: wrap;
}
header a { color: #fff; text-decoration: none; }
header .brand { font-weight: 700; font-size: 1.1rem; }
header form.search { flex: 1; display: flex; gap: .4rem; min-width: 18rem; }
header input[type=search] { flex: 1; padding: .4rem .6rem; border-radius: 4px; border: 0; font-size: 1rem; }
header .who { font-size: .9rem; opacity: .9; }
header button, .button {
  background: var(--accent);
  color: #fff;
  border: 0;
  border-radius: 4px;
  padding: .4rem .8rem;
  cursor: pointer;
  font-size: .95rem;
  text-decoration: none;
}
main { max-width: 1100px; margin: 1.2rem auto; padding: 0 1.2rem; }
h1 { font-size: 1.5rem; margin: .2rem 0 .6rem; word-break: break-all; }
h2 {
  font-size: 1.15rem;
  margin: 1.6rem 0 .5rem;
  border-bottom: 1px solid var(--line);
  padding-bottom: .2rem;
}
.note { background: var(--bg); border-left: 4px solid var(--accent); padding: .5rem .8rem; margin: .6rem 0; }
.note.warn { border-color: var(--warn); }
.muted { color: var(--muted); }
.statement { font-size: 1.05rem; margin: .4rem 0 .8rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; }
th { background: var(--bg); font-weight: 600; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable::after { content: " ↕"; color: var(--muted); font-size: .8em; }
td.num, th.num { text-align: right; }
nav.neighbours { display: flex; justify-content: space-between; margin: 1rem 0; }
.filters { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; margin: .5rem 0; }
.filters input { padding: .3rem .5rem; }
.badge {
  display: inline-block;
  padding: .05rem .45rem;
  border-radius: 3px;
  background: var(--bg);
  border: 1px solid var(--line);
  font-size: .85rem;
}
.badge.P, .badge.LP { background: #fde3e3; border-color: #e8a0a0; }
.badge.VUS { background: #fff4d6; border-color: #e6c56f; }
.badge.LB, .badge.B { background: #e2f3e4; border-color: #9ccaa3; }
ol.timeline { list-style: none; padding-left: 0; border-left: 2px solid var(--line); margin-left: .4rem; }
ol.timeline li { padding: .2rem 0 .5rem .8rem; position: relative; }
ol.timeline li::before {
  content: "";
  position: absolute;
  left: -6px;
  top: .55rem;
  width: 10px;
  height: 10px;
  border-radius: 50%;
  background: var(--accent);
}
svg.plot { width: 100%; height: auto; background: #fff; border: 1px solid var(--line); }
svg.plot .observed { fill: var(--accent); fill-opacity: .75; }
svg.plot .withheld { fill: #999; }
svg.plot text { font-size: 11px; fill: var(--muted); }
footer { max-width: 1100px; margin: 2rem auto; padding: 0 1.2rem; color: var(--muted); font-size: .85rem; }
form.login {
  display: grid; gap: .8rem; max-width: 30rem; padding: 1.2rem 1.4rem;
  border: 1px solid var(--line); border-radius: 6px; background: var(--bg);
}
form.login label { display: grid; gap: .3rem; font-weight: 600; }
form.login input[type=password] {
  padding: .5rem .6rem; font-family: monospace; font-size: 1rem; border: 1px solid #8c959f; border-radius: 4px;
}
form.login button {
  justify-self: start; background: var(--accent); color: #fff; border: 0; border-radius: 4px;
  padding: .5rem 1.2rem; font-size: 1rem; cursor: pointer;
}
p.links a { margin: 0 .1rem; }
nav.pager { display: flex; gap: .6rem; align-items: center; margin: .6rem 0; }
nav.pager button {
  background: var(--accent); color: #fff; border: 0; border-radius: 4px; padding: .3rem .8rem; cursor: pointer;
}
nav.pager button:disabled { opacity: .4; cursor: default; }
"""

SCRIPT = """
"use strict";
// Sort a table by a clicked column (numbers by data-value) and filter its rows; nothing else.
document.querySelectorAll("table.variants").forEach(function (table) {
  var body = table.tBodies[0];
  table.querySelectorAll("th.sortable").forEach(function (th, index) {
    th.addEventListener("click", function () {
      var ascending = th.dataset.order !== "asc";
      th.dataset.order = ascending ? "asc" : "desc";
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[index].dataset.value, y = b.cells[index].dataset.value;
        var nx = parseFloat(x), ny = parseFloat(y), numeric = th.classList.contains("num");
        if (numeric && isNaN(nx) !== isNaN(ny)) { return isNaN(nx) ? 1 : -1; }  // withheld values last
        var cmp = (numeric && !isNaN(nx)) ? nx - ny : String(x).localeCompare(String(y));
        return ascending ? cmp : -cmp;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      page = 0;
      apply();
    });
  });
  // Paging: PAGE_SIZE matching rows at a time, instead of one very long table.
  var PAGE_SIZE = 25, page = 0;
  var pager = document.createElement("nav");
  pager.className = "pager";
  pager.innerHTML = '<button type="button" data-step="-1">‹ previous</button> ' +
    '<span class="pager-where"></span> <button type="button" data-step="1">next ›</button>';
  table.parentNode.insertBefore(pager, table.nextSibling);
  var where = pager.querySelector(".pager-where");
  pager.querySelectorAll("button").forEach(function (button) {
    button.addEventListener("click", function () { page += parseInt(button.dataset.step, 10); apply(); });
  });
  var text = document.getElementById("filter-text"), minAf = document.getElementById("filter-af");
  var status = document.getElementById("filter-status"), shown = document.getElementById("shown-count");
  function apply() {
    var needle = (text && text.value || "").toLowerCase(), floor = parseFloat(minAf && minAf.value);
    var wanted = status && status.value, matching = [];
    Array.prototype.forEach.call(body.rows, function (row) {
      var af = parseFloat(row.dataset.af);
      var ok = row.dataset.key.toLowerCase().indexOf(needle) >= 0 &&
        (isNaN(floor) || (!isNaN(af) && af >= floor)) && (!wanted || row.dataset.status === wanted);
      row.hidden = true;
      if (ok) { matching.push(row); }
    });
    var pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
    page = Math.min(Math.max(page, 0), pages - 1);
    matching.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE).forEach(function (row) { row.hidden = false; });
    if (shown) { shown.textContent = String(matching.length); }
    var first = matching.length ? page * PAGE_SIZE + 1 : 0;
    where.textContent = "rows " + first + "–" + Math.min((page + 1) * PAGE_SIZE, matching.length) +
      " of " + matching.length + " (page " + (page + 1) + " of " + pages + ")";
    pager.querySelector('[data-step="-1"]').disabled = page === 0;
    pager.querySelector('[data-step="1"]').disabled = page >= pages - 1;
    pager.hidden = pages === 1;
  }
  [text, minAf, status].forEach(function (input) {
    if (input) { input.addEventListener("input", function () { page = 0; apply(); }); }
  });
  apply();
});
"""

FAVICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#1f4e79"/>
<path d="M10 5c0 8 12 14 12 22M22 5c0 8-12 14-12 22" stroke="#fff" stroke-width="2.5" fill="none"
 stroke-linecap="round"/>
<path d="M12 10h8M12 22h8M14 16h4" stroke="#9cc3e6" stroke-width="2" stroke-linecap="round"/>
</svg>
"""
"""The site icon: a double helix, as SVG (every current browser takes an SVG favicon)."""

// The results page: a table and an SVG bar chart (accuracy with Wilson 95% error bars)
// drawn from /api/results. Everything is built with DOM calls (no innerHTML).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const pct = (x) => (x === null || x === undefined ? "–" : (100 * x).toFixed(1) + "%");

function svg(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) { node.setAttribute(key, value); }
  if (text !== undefined) { node.textContent = text; }
  return node;
}

function rows(results) {
  const list = Object.entries(results.runs).map(([name, f]) => Object.assign({ name }, f));
  if (results.originals && results.originals.shown > 0) {
    list.push(Object.assign({ name: "original photos" }, results.originals));
  }
  return list;
}

function table(list, id) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  for (const row of list) {
    const tr = document.createElement("tr");
    const interval = row.ci_low === null ? "–" : pct(row.ci_low) + " – " + pct(row.ci_high);
    for (const value of [row.name, String(row.shown), pct(row.accuracy), pct(row.fooled_rate),
                         interval]) {
      const td = document.createElement("td");
      td.textContent = value;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function chart(list) {
  const width = 120 + 110 * Math.max(list.length, 1), height = 300;
  const top = 20, bottom = 250, left = 60;
  const y = (share) => bottom - share * (bottom - top);
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
                            "aria-label": "accuracy per method with 95% intervals" });
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    root.appendChild(svg("line", { x1: left, x2: width - 10, y1: y(tick), y2: y(tick),
                                   stroke: tick === 0.5 ? "#c55" : "#ddd",
                                   "stroke-dasharray": tick === 0.5 ? "4 3" : "" }));
    root.appendChild(svg("text", { x: left - 8, y: y(tick) + 4, "text-anchor": "end",
                                   "font-size": 12 }, pct(tick)));
  }
  list.forEach((row, i) => {
    const x = left + 30 + i * 110;
    const group = svg("g", { class: "bar" });
    if (row.accuracy !== null) {
      group.appendChild(svg("rect", { x, y: y(row.accuracy), width: 60,
                                      height: bottom - y(row.accuracy), fill: "#6a8fb5" }));
      const mid = x + 30;
      group.appendChild(svg("line", { class: "error-bar", x1: mid, x2: mid,
                                      y1: y(row.ci_low), y2: y(row.ci_high),
                                      stroke: "#222", "stroke-width": 2 }));
      for (const end of [row.ci_low, row.ci_high]) {
        group.appendChild(svg("line", { x1: mid - 8, x2: mid + 8, y1: y(end), y2: y(end),
                                        stroke: "#222", "stroke-width": 2 }));
      }
    }
    group.appendChild(svg("text", { x: x + 30, y: bottom + 18, "text-anchor": "middle",
                                    "font-size": 12 }, row.name));
    group.appendChild(svg("text", { x: x + 30, y: bottom + 34, "text-anchor": "middle",
                                    "font-size": 11, fill: "#555" }, "n = " + row.shown));
    root.appendChild(group);
  });
  $chart().replaceChildren(root);
}

const $chart = () => document.getElementById("chart");

async function load() {
  const response = await fetch("/api/results", { credentials: "same-origin" });
  if (response.status !== 200) {
    document.getElementById("summary").textContent =
      "The results need the experimenter's token: open /results?token=TOKEN.";
    return;
  }
  const results = await response.json();
  const answered = results.answers.length;
  const excluded = results.excluded;
  document.getElementById("summary").textContent =
    `${results.participants} participants, ${answered} answers; ` +
    `${excluded.any} participants excluded.`;
  const rules = results.exclusion_rules;
  document.getElementById("exclusions").textContent =
    `Excluded by rule: attention checks below ${pct(rules.min_attention_accuracy)} right: ` +
    `${excluded.attention}; one answer on ${pct(rules.max_same_answer_share)} or more of ` +
    `the test trials: ${excluded.straight_lining}; median response time below ` +
    `${rules.min_median_response_ms} ms: ${excluded.fast}.`;
  const list = rows(results);
  table(list, "table");
  table(rows(results.without_exclusions), "table-all");
  chart(list);
}

load();

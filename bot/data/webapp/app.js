// The leaders' dashboard (bot/runtime/webapp.py). No library: the launch data is read from the
// URL fragment the way Telegram clients pass it (#tgWebAppData=...), or from
// window.Telegram.WebApp when Telegram's own script happens to be present; it is sent with
// every request (Authorization: tma <initData>) and checked by the server each time. Every
// word on the page comes from the server, in the person's language.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const tg = window.Telegram && window.Telegram.WebApp;
  const initData = (tg && tg.initData) || fragment.get("tgWebAppData") || "";
  let strings = {};
  let me = null;
  const view = { unit: null, org: null, period: null, by: "unit" };

  applyTheme();
  if (tg) { try { tg.ready(); tg.expand(); } catch (e) { /* an old client */ } }

  function applyTheme() {
    let params = null;
    try { params = JSON.parse(fragment.get("tgWebAppThemeParams") || "null"); } catch (e) { params = null; }
    if (!params || typeof params !== "object") return;
    const root = document.documentElement;
    root.classList.add("tg");
    for (const [key, value] of Object.entries(params)) {
      if (typeof value === "string" && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
        root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
      }
    }
  }

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  }

  async function api(path, payload) {
    const options = { headers: { Authorization: "tma " + initData }, cache: "no-store" };
    if (payload !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (e) {
      throw { network: true };
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign({ status: response.status }, body);
    return body;
  }

  function refuse(error) {
    for (const id of ["board", "totals", "meetings", "petitions", "status"]) $(id).hidden = true;
    $("tabs").hidden = true;
    $("refusal").hidden = false;
    $("refusal-title").textContent = error.title || strings.refused || "Không mở được bảng điều khiển / The dashboard cannot open";
    $("refusal-message").textContent = error.network
      ? (strings.network || "Không kết nối được. / The bot did not answer.")
      : (error.message || "");
  }

  function show(tab) {
    for (const name of ["board", "totals", "meetings", "petitions"]) {
      $(name).hidden = name !== tab;
      $("tab-" + name).classList.toggle("on", name === tab);
    }
    $("status").hidden = true;
    if (tab === "board") loadBoard();  // where the person was on the board
    if (tab === "totals") loadTotals();
    if (tab === "meetings") loadMeetings();
    if (tab === "petitions") loadPetitions();
  }

  async function start() {
    try {
      me = await api("api/me");
    } catch (error) {
      refuse(error);
      return;
    }
    strings = me.strings;
    document.documentElement.lang = me.locale;
    document.title = strings.title;
    $("title").textContent = strings.title;
    $("who").textContent = me.name + (me.unit ? " · " + me.unit.name : "");
    $("tab-board").textContent = strings.tab_board;
    $("tab-totals").textContent = strings.tab_totals;
    $("tab-meetings").textContent = strings.tab_meetings;
    $("tab-petitions").textContent = strings.tab_petitions;
    for (const button of document.querySelectorAll("nav button")) {
      button.addEventListener("click", () => show(button.dataset.tab));
    }
    $("tabs").hidden = false;
    view.unit = me.unit ? me.unit.id : null;
    const months = me.periods[me.rule] && me.periods[me.rule].month;
    view.period = months && months.length ? months[0].key : null;
    show(location.hash.includes("tab=totals") ? "totals" : "board");
  }

  async function load(section, path, render) {
    const target = $(section);
    target.replaceChildren(el("p", "notice", strings.loading));
    try {
      const data = await api(path);
      target.replaceChildren();
      render(target, data);
    } catch (error) {
      refuse(error);
    }
  }

  // --- completeness board -----------------------------------------------------------------

  // A province's leader sees a row per commune (view.grouped); a tap drills into it (the same
  // endpoint with unit=<id>, checked by the server) and "‹ back up" returns.
  let boardUnit = null;

  function loadBoard(unit) {
    if (unit !== undefined) boardUnit = unit;
    const path = "api/completeness" + (boardUnit !== null ? "?unit=" + encodeURIComponent(boardUnit) : "");
    load("board", path, (target, data) => {
      const view = data.view || {};
      if (view.drilled && view.unit) {
        const head = el("div", "card head board-head");
        head.append(el("h2", "board-unit", view.unit.name));
        const back = el("button", "link up board-up",
          view.up ? fill(strings.board_up, { unit: view.up.name }) : strings.board_back);
        back.type = "button";
        back.addEventListener("click", () => loadBoard(view.up ? view.up.id : null));
        head.append(back);
        target.append(head);
      }
      if (!data.rounds.length) {
        target.append(el("p", "notice", strings.no_rounds));
        return;
      }
      for (const round of data.rounds) {
        const card = el("div", "card round");
        card.append(el("h2", null, round.title));
        card.append(el("div", "hint", round.unit + " · " + fill(strings.deadline, { deadline: round.deadline })));
        const c = round.counts;
        card.append(el("div", "hint", fill(strings.summary, {
          submitted: c.submitted + c.late + c.approved, total: round.total,
          late: c.late, approved: c.approved, missing: c.missing,
        })));
        const pills = el("div", "counts");
        for (const state of ["missing", "late", "submitted", "approved"]) {
          if (c[state]) pills.append(el("span", "pill s-" + state, strings["state_" + state] + " " + c[state]));
        }
        card.append(pills);
        if (round.groups) {
          card.append(groupList(round.groups));
          target.append(card);
          continue;
        }
        const list = el("ul", "units");
        for (const unit of round.units) {
          const item = el("li", "unit state-" + unit.state);
          const dot = el("span", "dot s-" + unit.state);
          dot.title = strings["state_" + unit.state];
          item.append(dot);
          const name = el("span", "name", unit.name + (unit.returned ? " (" + strings.returned + ")" : ""));
          name.append(el("div", "hint", unit.cadres.length ? unit.cadres.join(", ") : strings.no_members));
          item.append(name);
          item.append(el("span", "hint", strings["state_" + unit.state]));
          if (unit.remindable) item.append(remindButton(unit));
          else if (unit.reminded_today) item.append(el("span", "hint reminded", strings.reminded));
          list.append(item);
        }
        card.append(list);
        target.append(card);
      }
    });
  }

  // One row per unit directly below (a commune), worst first as the server sorts them.
  function groupList(groups) {
    const list = el("ul", "groups");
    for (const group of groups) {
      const item = el("li", "group" + (group.counts.missing ? " state-missing" : ""));
      const row = el(group.drill ? "button" : "div", "group-row");
      if (group.drill) {
        row.type = "button";
        row.addEventListener("click", () => loadBoard(group.id));
      }
      const name = el("span", "name", (group.drill ? "› " : "") + group.name);
      name.append(el("div", "hint", fill(strings.group_progress, group)));
      row.append(name);
      const pills = el("span", "counts");
      for (const state of ["missing", "late"]) {
        if (group.counts[state]) pills.append(el("span", "pill s-" + state, strings["state_" + state] + " " + group.counts[state]));
      }
      row.append(pills);
      const bar = el("span", "progress");
      const fillBar = el("span", "progress-done");
      fillBar.style.width = group.percent + "%";
      bar.append(fillBar);
      row.append(bar);
      item.append(row);
      list.append(item);
    }
    return list;
  }

  // "Nhắc": queue a reminder to the unit's cadres (once a day; the server decides).
  function remindButton(unit) {
    const button = el("button", "remind", strings.remind);
    button.type = "button";
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await api("api/remind", { report: unit.report });
        button.replaceWith(el("span", "hint reminded", strings.reminded));
      } catch (error) {
        if (error.status === 401 || error.network) { refuse(error); return; }
        button.replaceWith(el("span", "hint refused-reminder", error.message || ""));
      }
    });
    return button;
  }

  // --- totals ------------------------------------------------------------------------------

  function totalsPath() {
    const q = new URLSearchParams();
    if (view.unit !== null) q.set("unit", view.unit);
    if (view.org) q.set("org", view.org);
    if (view.period) q.set("period", view.period);
    if (view.by === "org") q.set("by", "org");
    return "api/totals?" + q.toString();
  }

  function go(changes) {
    Object.assign(view, changes);
    loadTotals();
  }

  function loadTotals() {
    load("totals", totalsPath(), (target, data) => {
      target.append(controls(data));
      const head = el("div", "card head");
      head.append(el("h2", "unit-name", data.unit.name));
      head.append(el("div", "hint", data.period.label + " (" + data.period.range + ")"));
      if (data.parent) {
        const up = el("button", "link up", fill(strings.up, { unit: data.parent.name }));
        up.type = "button";
        up.addEventListener("click", () => go({ unit: data.parent.id, org: null }));
        head.append(up);
      }
      target.append(head);
      const now = data.kinds.filter((k) => k.line);
      if (!now.length) target.append(el("p", "notice", strings.no_activity));
      for (const kind of now) {
        const card = el("div", "card kind");
        card.dataset.kind = kind.key;
        // The line names the type, as /totals writes it.
        card.append(el("p", "line this", kind.line));
        if (data.last_year) {
          const before = kind.last_year.map((f) => f.text).join(", ") || "—";
          card.append(el("p", "before", strings.last_year + " (" + data.last_year.label + "): " + before));
        }
        card.append(chart(kind, data));
        target.append(card);
      }
      // Types logged a year earlier but not in this period: one compact card, so that what
      // stopped is seen without a screen each.
      const gone = data.kinds.filter((k) => !k.line);
      if (gone.length && data.last_year) {
        const card = el("div", "card gone");
        card.append(el("h3", null, fill(strings.only_last_year, { period: data.last_year.label })));
        for (const kind of gone) {
          card.append(el("p", "before", kind.name + ": " + kind.last_year.map((f) => f.text).join(", ")));
        }
        target.append(card);
      }
      if (data.rows.length) {
        target.append(el("h3", null, data.by_org ? strings.by_org : strings.by_unit));
        for (const row of data.rows) {
          const card = el("div", "card row");
          if (row.unit) {
            const b = el("button", "link drill", "› " + row.label);
            b.type = "button";
            b.addEventListener("click", () => go({ unit: row.unit.id, org: null, by: "unit" }));
            card.append(b);
          } else {
            card.append(el("strong", null, row.label));
          }
          for (const line of row.lines) card.append(el("p", "line", line));
          target.append(card);
        }
      }
    });
  }

  // The choices above the totals: the kind of period (segmented), which one (a list), the
  // cut-off rule (Decree 09 or calendar), the organisation of the area, by unit or by
  // organisation. Each change asks the server again; it checks every choice.
  function controls(data) {
    const box = el("div", "controls");
    const rule = data.period.rule;
    const kinds = el("div", "seg kinds");
    for (const k of me.period_kinds) {
      const b = el("button", k.kind === data.period.kind ? "on" : "", k.label);
      b.type = "button";
      b.dataset.kind = k.kind;
      const first = (me.periods[rule][k.kind] || [])[0];
      b.disabled = !first;
      b.addEventListener("click", () => go({ period: first.key }));
      kinds.append(b);
    }
    box.append(kinds);
    const row = el("div", "selects");
    const period = el("select", "period");
    period.id = "period-select";
    period.setAttribute("aria-label", strings.period);
    const listed = me.periods[rule][data.period.kind] || [];
    if (!listed.some((p) => p.key === data.period.key)) {
      listed.unshift({ key: data.period.key, label: data.period.label });
    }
    for (const p of listed) {
      const option = el("option", null, p.label);
      option.value = p.key;
      option.selected = p.key === data.period.key;
      period.append(option);
    }
    period.addEventListener("change", () => go({ period: period.value }));
    row.append(period);
    if (data.orgs.length > 1) {
      const org = el("select", "org");
      org.id = "org-select";
      org.setAttribute("aria-label", strings.organisation);
      for (const o of data.orgs) {
        const option = el("option", null, o.label);
        option.value = o.org || "";
        option.selected = (o.org || null) === (data.org || null);
        org.append(option);
      }
      org.addEventListener("change", () => {
        const chosen = data.orgs.find((o) => (o.org || "") === org.value);
        go({ unit: data.area.id, org: chosen && chosen.org ? chosen.org : null });
      });
      row.append(org);
    }
    box.append(row);
    const rules = el("div", "seg rules");
    for (const r of me.rules) {
      const b = el("button", r.key === rule ? "on" : "", r.label);
      b.type = "button";
      b.dataset.rule = r.key;
      b.addEventListener("click", () => {
        if (r.key === rule) return;
        // The same period under the other rule ("Quý IV/2026" either way), if it is listed.
        const base = data.period.key.replace(/@calendar$/, "");
        const key = r.key === "calendar" ? base + "@calendar" : base;
        const other = me.periods[r.key][data.period.kind] || [];
        go({ period: other.some((p) => p.key === key) ? key : (other[0] || { key: key }).key });
      });
      rules.append(b);
    }
    const sw = el("button", "by", data.by_org ? strings.switch_by_unit : strings.switch_by_org);
    sw.type = "button";
    sw.addEventListener("click", () => go({ by: data.by_org ? "unit" : "org" }));
    const line = el("div", "chips");
    line.append(rules, sw);
    box.append(line);
    return box;
  }

  // One pair of bars per measure: this period (filled) over the same period last year (grey),
  // each measure on its own scale (counts and money cannot share one).
  function chart(kind, data) {
    const measures = [];
    const before = {};
    for (const f of kind.last_year) before[f.measure] = f;
    const seen = new Set();
    for (const f of kind.figures) { measures.push([f.label, f.value, before[f.measure] ? before[f.measure].value : 0]); seen.add(f.measure); }
    for (const f of kind.last_year) if (!seen.has(f.measure)) measures.push([f.label, 0, f.value]);
    const width = 320, rowHeight = 38;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "chart");
    svg.setAttribute("viewBox", "0 0 " + width + " " + (measures.length * rowHeight + 4));
    svg.setAttribute("role", "img");
    measures.forEach(([label, now, then], i) => {
      const top = i * rowHeight;
      const max = Math.max(now, then) || 1;
      const text = document.createElementNS(SVG, "text");
      text.setAttribute("x", "0"); text.setAttribute("y", String(top + 11));
      text.textContent = label;
      svg.append(text);
      for (const [value, y, h, cls, name] of [[now, 15, 10, "bar-now", data.period.label], [then, 27, 7, "bar-before", data.last_year ? data.last_year.label : ""]]) {
        const rect = document.createElementNS(SVG, "rect");
        rect.setAttribute("x", "0"); rect.setAttribute("y", String(top + y));
        rect.setAttribute("height", String(h)); rect.setAttribute("rx", "2");
        rect.setAttribute("width", String(Math.max(value > 0 ? 2 : 0, Math.round((width - 4) * value / max))));
        rect.setAttribute("class", cls);
        const title = document.createElementNS(SVG, "title");
        title.textContent = name;
        rect.append(title);
        svg.append(rect);
      }
    });
    return svg;
  }

  // --- meetings ----------------------------------------------------------------------------

  function loadMeetings() {
    load("meetings", "api/meetings", (target, data) => {
      if (!data.meetings.length) {
        target.append(el("p", "notice", strings.no_meetings));
        return;
      }
      for (const m of data.meetings) {
        const card = el("div", "card meeting");
        card.append(el("h3", null, m.title));
        card.append(el("div", "hint", m.when + (m.place ? " · " + m.place : "") + " · " + m.unit));
        card.append(el("p", "line", fill(strings.rsvp, m.answers)));
        target.append(card);
      }
    });
  }

  // --- citizens' recommendations -------------------------------------------------------------

  // The counts of /totals kiến nghị for the person's unit over a period (its lines, as the chat
  // writes them), then the open items.
  let petitionPeriod = null;

  function loadPetitions() {
    const path = "api/petitions" + (petitionPeriod ? "?period=" + encodeURIComponent(petitionPeriod) : "");
    load("petitions", path, (target, data) => {
      if (data.summary) target.append(petitionSummary(data.summary));
      target.append(el("h3", null, strings.petitions_all));
      const pills = el("div", "counts");
      for (const c of data.counts) pills.append(el("span", "pill s-count", c.label + " " + c.count));
      target.append(pills);
      if (!data.items.length) {
        target.append(el("p", "notice", strings.no_petitions));
        return;
      }
      for (const item of data.items) {
        const card = el("div", "card petition" + (item.overdue ? " overdue" : ""));
        const head = el("div", "petition-head");
        head.append(el("strong", null, item.code));
        head.append(el("span", "hint", item.status_label));
        card.append(head);
        card.append(el("p", "line", item.category + " · " + item.place));
        const when = [item.received];
        if (item.due) when.push(fill(strings.due, { date: item.due }));
        if (item.authority) when.push(item.authority);
        card.append(el("div", "hint", when.join(" · ")));
        if (item.overdue) card.append(el("div", "late", item.overdue));
        target.append(card);
      }
    });
  }

  function petitionSummary(summary) {
    const box = el("div", "petition-summary");
    const chips = el("div", "chips petition-periods");
    for (const period of summary.periods) {
      const b = el("button", period.key === summary.period.key ? "on" : "", period.label);
      b.type = "button";
      b.addEventListener("click", () => { petitionPeriod = period.key; loadPetitions(); });
      chips.append(b);
    }
    box.append(chips);
    const card = el("div", "card");
    card.append(el("h2", "summary-head", summary.head));
    for (const line of summary.lines) card.append(el("p", "line" + (line.startsWith("• ") ? " sub" : ""), line));
    box.append(card);
    return box;
  }

  start();
})();

// The dev portal: plain JavaScript, no build step, no third-party code. Every string that comes from a
// plugin or an upload is untrusted, so the page is built from text nodes only (the h() helper), never
// parsed as markup. The admin key is asked once and kept in sessionStorage (gone when the tab closes).
"use strict";

const KEY = "adminKey";
const main = document.getElementById("main");
let refreshTimer = null;
// Each render has a number; a page that finishes loading after the user moved on is dropped.
let generation = 0;

// ---- tiny DOM helper ------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") for (const [key, data] of Object.entries(value)) { if (data !== null && data !== undefined) el.dataset[key] = data; }
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// replaceChildren() would show a null as the text "null": what is missing is left out instead.
const fill = (el, ...children) => el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
const badge = (text, kind) => h("span", { class: `badge ${kind || text || ""}`, dataset: { status: text || "" } }, text || "—");
const chips = (items) => h("div", { class: "chips" }, (items || []).map((c) => h("span", { class: "chip" }, c)));
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
const ms = (v) => (v === null || v === undefined ? "—" : `${Math.round(v)} ms`);
// A plugin's text with every control character but tab and newline (C0, DEL, C1) and the Unicode line and
// paragraph separators shown as an escape (ESC as \x1b, CSI as \u009b). Newlines stay: a log entry's
// further lines are indented under its first (.log div in portal.css), so none passes for an entry.
const printable = (text) => String(text ?? "").replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
  const code = c.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
});
const notice = (text, kind = "bad") => h("div", { class: `notice ${kind}`, role: kind === "bad" ? "alert" : "status" }, text);

// ---- API ----------------------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, message, body) { super(message); this.status = status; this.body = body; }
}

async function api(method, path, body, contentType = "application/json") {
  const headers = { "x-functions-key": sessionStorage.getItem(KEY) || "" };
  let payload = body;
  if (body !== undefined && contentType === "application/json") payload = JSON.stringify(body);
  if (body !== undefined) headers["content-type"] = contentType;
  const response = await fetch(`/api/admin/${path}`, { method, headers, body: payload });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    render();
    throw new ApiError(401, "the admin key was refused", json);
  }
  if (!response.ok) throw new ApiError(response.status, (json && json.error) || `${method} ${path}: ${response.status}`, json);
  return json;
}

const get = (path) => api("GET", path);
const enc = encodeURIComponent;

// ---- routing ------------------------------------------------------------------------------------------
function route() {
  const [path, query] = (location.hash.slice(1) || "/catalog").split("?");
  const parts = path.split("/").filter(Boolean);
  return { page: parts[0] || "catalog", arg: parts[1] ? decodeURIComponent(parts[1]) : null, params: new URLSearchParams(query || "") };
}

function go(page, params) {
  const query = params ? `?${new URLSearchParams(Object.entries(params).filter(([, v]) => v))}` : "";
  location.hash = `#/${page}${query}`;
}

async function render() {
  clearInterval(refreshTimer);
  refreshTimer = null;
  const mine = ++generation;
  const current = () => mine === generation;
  const hasKey = !!sessionStorage.getItem(KEY);
  document.getElementById("nav").hidden = !hasKey;
  document.getElementById("signout").hidden = !hasKey;
  if (!hasKey) return renderLogin();
  const { page, arg, params } = route();
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === page);
  const pages = {
    catalog: (view) => (arg ? renderPlugin(view, arg) : renderCatalog(view)),
    installs: (view) => renderInstalls(view, params),
    activity: (view) => renderActivity(view, params, current),
    upload: (view) => renderUpload(view, params),
  };
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  const view = h("div", { id: "view" });
  try {
    await (pages[page] || pages.catalog)(view);
    if (current()) main.replaceChildren(view);
  } catch (error) {
    if (error.status !== 401 && current()) main.replaceChildren(notice(`Could not load this page: ${error.message}`));
  }
}

// ---- key ----------------------------------------------------------------------------------------------
function renderLogin() {
  const input = h("input", { type: "password", id: "admin-key", autocomplete: "off", placeholder: "x-functions-key", required: true });
  const message = h("div");
  const form = h("form", {
    class: "panel login",
    onsubmit: async (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY, input.value.trim());
      try {
        await api("GET", "plugins");
        render();
      } catch (error) {
        sessionStorage.removeItem(KEY);
        renderLogin();
        document.querySelector(".login").append(notice(error.status === 401 ? "That key was refused." : error.message));
      }
    },
  },
    h("h1", {}, "Admin key"),
    h("p", { class: "hint" }, "The key of the admin API (ADMIN_API_KEY; local/up generates one in .local/dev-secrets.env as DEV_ADMIN_API_KEY). It stays in this tab only."),
    h("div", { class: "row" }, h("label", {}, "Key", input), h("button", { type: "submit", id: "sign-in" }, "Open the portal")),
    message);
  main.replaceChildren(form);
  input.focus();
}

document.getElementById("signout").addEventListener("click", () => { sessionStorage.removeItem(KEY); render(); });

// ---- catalog ------------------------------------------------------------------------------------------
async function renderCatalog(view) {
  const [plugins, reports] = await Promise.all([get("plugins"), get("reports?limit=20")]);
  const rows = plugins.map((p) => h("tr", { class: "clickable", dataset: { plugin: p.id }, onclick: () => go(`catalog/${enc(p.id)}`) },
    h("td", {}, h("strong", {}, p.id)), h("td", {}, p.publisher), h("td", {}, p.latest || "—"), h("td", {}, chips(p.versions)), h("td", {}, when(p.published_at))));
  view.replaceChildren(
    h("h1", {}, "Catalog"),
    plugins.length === 0
      ? h("div", { class: "panel" }, "Nothing is published yet. ", h("a", { href: "#/upload" }, "Upload a plugin"), " or run local/plugin upload.")
      : h("table", { id: "plugins" }, h("thead", {}, h("tr", {}, ["Plugin", "Publisher", "Latest", "Versions", "Published"].map((t) => h("th", {}, t)))), h("tbody", {}, rows)),
    h("h2", {}, "Recent upload reports"),
    reportsTable(reports));
}

function reportsTable(reports) {
  if (reports.length === 0) return h("p", { class: "muted" }, "No uploads yet.");
  return h("table", { id: "reports" },
    h("thead", {}, h("tr", {}, ["Upload", "Status", "Plugin", "Processed", "Errors and warnings"].map((t) => h("th", {}, t)))),
    h("tbody", {}, reports.map((r) => h("tr", {},
      h("td", { class: "mono" }, `${r.publisher}/${r.name}.zip`),
      h("td", {}, badge(r.status)),
      h("td", {}, r.plugin ? `${r.plugin.id} ${r.plugin.version}` : "—"),
      h("td", {}, when(r.processedAt)),
      h("td", {}, issuesList(r))))));
}

function issuesList(report) {
  const issues = [...(report.errors || []).map((e) => ["error", e]), ...(report.warnings || []).map((w) => ["warning", w])];
  if (issues.length === 0) return h("span", { class: "muted" }, "no errors, no warnings");
  return h("table", { class: "issues" }, h("tbody", {}, issues.map(([kind, issue]) => h("tr", { dataset: { code: issue.code } },
    h("td", {}, badge(kind)), h("td", { class: "mono" }, issue.code), h("td", { class: "mono" }, issue.path || "—"), h("td", {}, issue.message)))));
}

async function renderPlugin(view, id) {
  const versions = await get(`plugins/${enc(id)}/versions`);
  const latest = versions[versions.length - 1];
  const reports = await get(`reports?publisher=${enc(latest.publisher)}&plugin=${enc(id)}`);
  fill(view,
    h("p", {}, h("a", { href: "#/catalog" }, "← Catalog")),
    h("h1", {}, `${id}`, latest.name ? h("span", { class: "muted" }, `  ${latest.name}`) : null),
    latest.description ? h("p", {}, latest.description) : null,
    h("p", {}, h("button", { onclick: () => go("installs", { plugin: id }) }, "Install in a guild…")),
    ...versions.slice().reverse().map((v) => h("div", { class: "panel version", dataset: { version: v.version } },
      h("h2", {}, `${v.version}`, h("span", { class: "muted" }, `  published ${when(v.published_at)} by ${v.publisher}`)),
      h("h3", {}, "Requested capabilities"), v.capabilities.length ? chips(v.capabilities) : h("span", { class: "muted" }, "none"),
      h("h3", {}, "Commands"), commandsTable(v.commands),
      v.events.length ? [h("h3", {}, "Events"), chips(v.events)] : null,
      h("h3", {}, "Registered by its code"), registrationsTable(v.registrations),
      warningsList(v.warnings),
      Object.keys(v.dependencies).length ? [h("h3", {}, "Dependencies"), chips(Object.entries(v.dependencies).map(([d, r]) => `${d} ${r}`))] : null,
      h("p", { class: "muted mono" }, `sha256 ${v.sha256}`))),
    h("h2", {}, `Upload reports of ${id}`),
    reportsTable(reports));
}

// What the code registered at the boot check (the describe result stored with the version); null: no code.
function registrationsTable(r) {
  if (!r) return h("p", { class: "muted registrations" }, "no code: the platform answers from the manifest alone");
  const list = (name) => r[name] || [];
  const rows = [
    ["Slash commands", list("slash_commands").map((c) => `/${c}`)],
    ["Autocomplete", list("autocompletes").map((c) => `/${c}`)],
    ["Components", list("components")],
    ["Modals", list("modals")],
    ["Events", list("events")],
    ["Schedules", list("schedules").map((t) => `${t.id} every ${t.seconds} s`)],
    ["Crons", list("crons").map((t) => `${t.id} ${t.spec}`)],
    ["Lifecycle hooks", list("lifecycle")],
  ].filter(([, items]) => items.length > 0);
  if (rows.length === 0) return h("p", { class: "muted registrations" }, "nothing: its code registers no handler, so it never runs");
  return h("table", { class: "registrations" }, h("tbody", {}, rows.map(([label, items]) => h("tr", { dataset: { registration: label } }, h("th", {}, label), h("td", {}, chips(items))))));
}

// The publish report's warnings, stored with the version: shown wherever consent is asked.
function warningsList(warnings) {
  if (!warnings || warnings.length === 0) return null;
  return h("div", { class: "notice warn warnings" }, h("strong", {}, "Warnings from the publish check"),
    h("ul", {}, warnings.map((w) => h("li", { dataset: { code: w.code } }, h("span", { class: "mono" }, w.code), " ", w.message, w.path ? h("span", { class: "muted mono" }, ` (${w.path})`) : null))));
}

function commandsTable(commands) {
  if (!commands || commands.length === 0) return h("span", { class: "muted" }, "none");
  const describe = (o) => `${o.name}${o.required ? "" : "?"}: ${optionType(o.type)}`;
  return h("table", {}, h("tbody", {}, commands.map((c) => h("tr", {},
    h("td", { class: "mono" }, `/${c.name}`), h("td", {}, c.description || ""), h("td", {}, chips((c.options || []).map(describe)))))));
}

const optionType = (t) => ({ 1: "subcommand", 2: "group", 3: "text", 4: "integer", 5: "boolean", 6: "user", 7: "channel", 8: "role", 9: "mentionable", 10: "number", 11: "attachment" })[t] || `type ${t}`;

// ---- installs -----------------------------------------------------------------------------------------
async function renderInstalls(view, params) {
  const guild = params.get("guild") || localStorage.getItem("portal.guild") || "";
  const [guilds, plugins] = await Promise.all([get("guilds"), get("plugins")]);
  const guildInput = h("input", { id: "guild", value: guild, list: "known-guilds", placeholder: "guild id", required: true });
  const picker = h("form", { class: "panel row", onsubmit: (e) => { e.preventDefault(); localStorage.setItem("portal.guild", guildInput.value.trim()); go("installs", { guild: guildInput.value.trim(), plugin: params.get("plugin") }); } },
    h("label", {}, "Guild", guildInput),
    h("datalist", { id: "known-guilds" }, guilds.map((g) => h("option", { value: g.guild_id }, `${g.plugins.length} plugin(s)`))),
    h("button", { type: "submit", id: "open-guild" }, "Show installs"));
  view.replaceChildren(h("h1", {}, "Installs"), picker);
  if (!guild) {
    view.append(h("p", { class: "hint" }, "Guilds with installs: ", guilds.length ? guilds.map((g) => h("a", { href: `#/installs?guild=${enc(g.guild_id)}`, class: "chip" }, g.guild_id)) : "none yet"));
    return;
  }
  const [installs, commands] = await Promise.all([get(`guilds/${enc(guild)}/plugins`), get(`guilds/${enc(guild)}/commands`)]);
  const status = h("div", { id: "action-status" });

  const act = async (label, work) => {
    status.replaceChildren(h("p", { class: "muted" }, `${label}…`));
    try {
      const result = await work();
      const sync = result && result.commands_sync;
      await render();
      document.getElementById("action-status").replaceChildren(notice(`${label}: done${sync ? ` · commands sync ${sync.status}${sync.error ? `: ${sync.error}` : ""}` : ""}`, sync && sync.status === "failed" ? "bad" : "ok"));
    } catch (error) {
      status.replaceChildren(notice(`${label}: ${error.message}`));
    }
  };

  const rows = installs.map((i) => h("tr", { dataset: { plugin: i.plugin_id } },
    h("td", {}, h("a", { href: `#/catalog/${enc(i.plugin_id)}` }, i.plugin_id)),
    h("td", {}, i.version, h("div", { class: "muted" }, `requirement ${i.requirement}`), updateNote(guild, i, act)),
    h("td", {}, chips(i.capabilities.granted)),
    h("td", {}, chips(commands.declared.filter((c) => c.plugin_id === i.plugin_id).map((c) => `/${c.name}`))),
    h("td", {}, when(i.updated_at)),
    h("td", {},
      h("button", { class: "secondary", onclick: () => act(`Upgrade ${i.plugin_id}`, () => api("PUT", `guilds/${enc(guild)}/plugins/${enc(i.plugin_id)}`, { version: i.requirement, capabilities: i.capabilities.granted })) }, "Upgrade"), " ",
      h("button", { class: "danger", onclick: () => confirm(`Uninstall ${i.plugin_id} from guild ${guild}? Its stored data goes with it.`) && act(`Uninstall ${i.plugin_id}`, () => api("DELETE", `guilds/${enc(guild)}/plugins/${enc(i.plugin_id)}`)) }, "Uninstall"))));

  view.append(
    h("div", { class: "panel" },
      h("div", { class: "row" },
        h("div", {}, "Command sync with Discord: ", badge(commands.status), commands.error ? h("span", { class: "error-text" }, ` ${commands.error}`) : null,
          h("span", { class: "muted", id: "command-counts" }, `  ${commandCounts(commands)}`)),
        h("button", { class: "secondary", id: "sync", onclick: () => act("Sync commands", () => api("POST", `guilds/${enc(guild)}/commands/sync`).then((s) => ({ commands_sync: s }))) }, "Sync now"))),
    status,
    installs.length === 0 ? h("p", { class: "muted" }, `Nothing is installed in guild ${guild}.`)
      : h("table", { id: "installs" }, h("thead", {}, h("tr", {}, ["Plugin", "Version", "Granted capabilities", "Commands", "Updated", ""].map((t) => h("th", {}, t)))), h("tbody", {}, rows)),
    installForm(guild, plugins, params.get("plugin"), act));
}

// Counts that add up to what the page lists: the platform's own commands are named, the installs' are in the table.
function commandCounts(commands) {
  const platform = commands.declared.filter((c) => c.plugin_id === "platform").map((c) => `/${c.name}`);
  const byInstalls = commands.declared.length - platform.length;
  return `${commands.declared.length} declared (${platform.length ? `${platform.join(", ")} by the platform, ` : ""}${byInstalls} by the installs below), ${commands.registered ?? "?"} registered on Discord`;
}

// A newer version the install's requirement allows but it is not on: new capabilities wait for consent here.
function updateNote(guild, i, act) {
  const u = i.update;
  if (!u) return null;
  const grant = () => act(`Grant and upgrade ${i.plugin_id}`, () => api("PUT", `guilds/${enc(guild)}/plugins/${enc(i.plugin_id)}`,
    { version: i.requirement, capabilities: [...i.capabilities.granted, ...u.new_capabilities] }));
  return h("div", { class: "update", dataset: { update: u.status } },
    badge(`update available: ${u.version}`, "info"),
    u.status === "awaiting_consent" ? [h("div", {}, "also asks for"), chips(u.new_capabilities),
      h("button", { class: "consent", onclick: grant }, `Grant and upgrade to ${u.version}`)]
      : h("div", { class: u.status === "blocked" ? "error-text" : "muted" }, u.reason));
}

function installForm(guild, plugins, preselect, act) {
  const select = h("select", { id: "install-plugin" }, h("option", { value: "" }, "choose a plugin"), plugins.map((p) => h("option", { value: p.id, selected: p.id === preselect }, p.latest ? `${p.id} (${p.latest})` : p.id)));
  const requirement = h("input", { id: "install-version", placeholder: "* (newest)", value: "" });
  const details = h("div", { id: "install-details" });
  const button = h("button", { type: "submit", id: "install", disabled: true }, "Install");
  const show = async () => {
    details.replaceChildren();
    button.disabled = true;
    if (!select.value) return;
    const versions = await get(`plugins/${enc(select.value)}/versions`);
    const v = versions[versions.length - 1];
    fill(details,
      h("h3", {}, `${v.id} ${v.version} requests`),
      v.capabilities.length === 0 ? h("p", { class: "muted" }, "no capabilities") :
        h("div", { class: "chips" }, v.capabilities.map((c) => h("label", { class: "chip" }, h("input", { type: "checkbox", name: "capability", value: c, checked: true }), ` ${c}`))),
      h("h3", {}, "Commands"), commandsTable(v.commands),
      warningsList(v.warnings),
      h("p", { class: "hint" }, "Installing grants the checked capabilities (the newest version matching the requirement is installed)."));
    button.disabled = false;
  };
  select.addEventListener("change", show);
  if (preselect) setTimeout(show, 0);
  return h("form", {
    class: "panel",
    onsubmit: (e) => {
      e.preventDefault();
      const capabilities = [...details.querySelectorAll("input[name=capability]:checked")].map((c) => c.value);
      act(`Install ${select.value}`, () => api("PUT", `guilds/${enc(guild)}/plugins/${enc(select.value)}`, { version: requirement.value.trim() || "*", capabilities }));
    },
  }, h("h2", {}, `Install in guild ${guild}`), h("div", { class: "row" }, h("label", {}, "Plugin", select), h("label", {}, "Version requirement", requirement), button), details);
}

// ---- activity -----------------------------------------------------------------------------------------
async function renderActivity(view, params, current) {
  const [plugins, guilds] = await Promise.all([get("plugins"), get("guilds")]);
  const plugin = params.get("plugin") || "";
  const guild = params.get("guild") || "";
  const pluginSelect = h("select", { id: "filter-plugin" }, h("option", { value: "" }, "all plugins"), plugins.map((p) => h("option", { value: p.id, selected: p.id === plugin }, p.id)));
  const guildInput = h("input", { id: "filter-guild", value: guild, placeholder: "all guilds", list: "activity-guilds" });
  const live = h("input", { type: "checkbox", id: "live", checked: true });
  const invocations = h("div", { id: "invocations" });
  const logs = h("div", { id: "logs" });
  view.replaceChildren(
    h("h1", {}, "Activity"),
    h("form", { class: "panel row", onsubmit: (e) => { e.preventDefault(); go("activity", { plugin: pluginSelect.value, guild: guildInput.value.trim() }); } },
      h("label", {}, "Plugin", pluginSelect), h("label", {}, "Guild", guildInput),
      h("datalist", { id: "activity-guilds" }, guilds.map((g) => h("option", { value: g.guild_id }))),
      h("button", { type: "submit", id: "apply-filter" }, "Filter"),
      h("label", { class: "inline" }, live, "live (every 2 s)")),
    h("h2", {}, "Recent runs"),
    h("p", { class: "hint" }, "Interactions, events, schedules and crons, newest first."), invocations,
    h("h2", {}, "Plugin log"), logs);

  const refresh = async () => {
    const query = new URLSearchParams(Object.entries({ plugin, guild, limit: "50" }).filter(([, v]) => v));
    const rows = await get(`invocations?${query}`);
    invocations.replaceChildren(rows.length === 0 ? h("p", { class: "muted" }, "Nothing has run yet. Try local/plugin invoke /COMMAND --guild GUILD or local/plugin event EVENT --guild GUILD.") :
      h("table", {}, h("thead", {}, h("tr", {}, ["Received", "Plugin", "Guild", "What", "Status", "Initial response", "Ack", "Margin", "Run", "Tries", "Error"].map((t) => h("th", {}, t)))),
        h("tbody", {}, rows.map((r) => h("tr", { dataset: { interaction: r.interaction_id, invocation: r.invocation_id, kind: r.kind, status: r.status } },
          h("td", {}, when(r.received_at)), h("td", {}, r.plugin_id), h("td", { class: "mono" }, r.guild_id || "—"),
          h("td", { class: "mono" }, r.kind === "slash_command" ? `/${r.name}` : `${r.kind || ""} ${r.name || ""}`),
          h("td", {}, h("span", { class: `badge ${r.status}` }, r.status.replace(/_/g, " "))), h("td", {}, r.initial_response || "—"),
          h("td", { class: "num" }, ms(r.ack_ms)), h("td", { class: "num" }, ms(r.margin_ms)), h("td", { class: "num" }, ms(r.duration_ms)),
          h("td", { class: "num" }, r.attempts ?? "—"), h("td", { class: "error-text" }, printable(r.error)))))));
    if (!plugin) {
      logs.replaceChildren(h("p", { class: "muted" }, "Choose a plugin (and a guild) to see its log."));
      return;
    }
    const entries = await get(`plugins/${enc(plugin)}/logs?limit=200${guild ? `&guild=${enc(guild)}` : ""}`);
    const box = h("div", { class: "log", id: "log-lines" }, entries.length === 0 ? h("div", { class: "muted" }, guild ? "no lines yet" : "no guild-less lines; add a guild to see its runs") :
      entries.map((e) => h("div", { class: `l-${e.level}` }, h("span", { class: "t" }, new Date(e.time).toLocaleTimeString()), `${printable(e.level).padEnd(7)} ${printable(e.message)}`, e.invocation ? h("span", { class: "t" }, `  ${printable(e.invocation)}`) : null)));
    logs.replaceChildren(box);
    box.scrollTop = box.scrollHeight;
  };
  await refresh();
  if (current()) refreshTimer = setInterval(() => { if (live.checked) refresh().catch(() => {}); }, 2000);
}

// ---- upload -------------------------------------------------------------------------------------------
function renderUpload(view, params) {
  // Remembered as it is typed, so the name survives a reload or a re-render of this page.
  const publisher = h("input", { id: "publisher", value: params.get("publisher") || localStorage.getItem("portal.publisher") || "", placeholder: "your publisher name", required: true,
    oninput: (e) => localStorage.setItem("portal.publisher", e.target.value.trim()) });
  const name = h("input", { id: "upload-name", placeholder: "default: from the file name" });
  const file = h("input", { type: "file", id: "file", accept: ".zip,application/zip", hidden: true });
  const bar = h("div");
  const result = h("div", { id: "upload-result" });
  const drop = h("div", { class: "drop", id: "drop", tabindex: "0" }, h("strong", {}, "Drop a plugin zip here"), h("div", {}, "or click to choose one (local/plugin pack makes it)"));

  const upload = (chosen) => {
    if (!chosen) return;
    result.replaceChildren();
    if (!publisher.value.trim()) { result.replaceChildren(notice("Enter your publisher name first.")); return; }
    localStorage.setItem("portal.publisher", publisher.value.trim());
    // pack writes ID-VERSION.zip: the id is the upload name the CLI would use.
    const uploadName = name.value.trim() || chosen.name.replace(/\.zip$/i, "").replace(/-\d+\.\d+\.\d+.*$/, "");
    const progress = h("div", { class: "progress" }, h("div"));
    bar.replaceChildren(h("p", {}, `Uploading ${chosen.name} (${Math.ceil(chosen.size / 1024)} KiB) as ${publisher.value.trim()}/${uploadName}.zip`), progress);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/admin/uploads/${enc(publisher.value.trim())}/${enc(uploadName)}`);
    xhr.setRequestHeader("x-functions-key", sessionStorage.getItem(KEY) || "");
    xhr.setRequestHeader("content-type", "application/zip");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress.firstChild.style.width = `${(100 * e.loaded) / e.total}%`; };
    xhr.onerror = () => result.replaceChildren(notice("The upload failed: the app did not answer."));
    xhr.onload = async () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      if (xhr.status !== 202) { result.replaceChildren(notice(`The upload was refused: ${(body && body.error) || xhr.status}`)); return; }
      progress.firstChild.style.width = "100%";
      bar.firstChild.textContent = `Uploaded ${chosen.name} as ${body.blob}`;
      result.replaceChildren(h("p", { class: "muted", id: "waiting" }, "Uploaded. Waiting for the platform to validate and publish it…"));
      const report = await waitForReport(body.report.replace(/^\/api\/admin\//, ""));
      if (!report) { result.replaceChildren(notice("No report after 90 s. Is local/up running (its packages function judges uploads), or the function app in Azure?")); return; }
      result.replaceChildren(renderReport(report));
    };
    xhr.send(chosen);
  };

  drop.addEventListener("click", () => file.click());
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") file.click(); });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files[0]); });
  file.addEventListener("change", () => upload(file.files[0]));

  view.replaceChildren(
    h("h1", {}, "Upload a plugin"),
    h("div", { class: "panel" },
      h("div", { class: "row" }, h("label", {}, "Publisher", publisher), h("label", {}, "Upload name", name)),
      h("p", { class: "hint" }, "The zip goes to plugin-uploads/PUBLISHER/NAME.zip, exactly like local/plugin upload; the report appears below when the platform has judged it."),
      drop, file, bar),
    result);
}

async function waitForReport(path) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      return await get(path);
    } catch (error) {
      if (error.status !== 404) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return null;
}

function renderReport(report) {
  const published = report.status === "published";
  return h("div", { class: "panel", id: "report", dataset: { status: report.status } },
    h("h2", {}, badge(report.status), "  ", report.plugin ? `${report.plugin.id} ${report.plugin.version}` : "(no readable manifest)"),
    issuesList(report),
    published ? h("p", {}, h("a", { href: `#/catalog/${enc(report.plugin.id)}` }, "See it in the catalog"), " · ",
      h("a", { href: `#/installs?plugin=${enc(report.plugin.id)}` }, "Install it in a guild"))
      // Pending: no verdict yet (the sandbox is unavailable); the reason says when it is judged again.
      : report.status === "pending" ? h("p", { class: "hint" }, report.reason || "The verdict is pending.")
      : h("p", { class: "hint" }, "Fix the errors above, bump nothing (a rejected upload publishes nothing) and upload again."));
}

window.addEventListener("hashchange", render);
render();

/* The public page's own script: the search box (autocomplete and results) and the indicator charts, drawn as
 * inline SVG. No library, nothing loaded from elsewhere; configuration and strings come from the server in
 * <script type="application/json" id="web-config">, so the page needs no inline code. */
(function () {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const configNode = document.getElementById("web-config");
  if (!configNode) return;
  const config = JSON.parse(configNode.textContent);
  const T = config.strings;
  const URLS = config.urls;
  const LOCALE = config.lang === "vi" ? "vi-VN" : "en-US";

  // --- helpers ---------------------------------------------------------------------------------------

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function build(namespace, tag, attributes, children) {
    const node = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
    Object.entries(attributes || {}).forEach(function ([name, value]) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
    });
    return node;
  }

  function el(tag, attributes, ...children) {
    return build(null, tag, attributes, children);
  }

  function svgEl(tag, attributes, ...children) {
    return build(SVG_NS, tag, attributes, children);
  }

  const moneyFormat = new Intl.NumberFormat(LOCALE, {
    style: "currency",
    currency: "USD",
    notation: "compact",
    maximumFractionDigits: 1,
  });
  const percentFormat = new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 1 });
  const integerFormat = new Intl.NumberFormat(LOCALE);

  function money(value) {
    return value === null || value === undefined ? T.unknown : moneyFormat.format(Number(value));
  }

  function percent(value) {
    return value === null || value === undefined ? T.unknown : percentFormat.format(value);
  }

  function integer(value) {
    return integerFormat.format(value);
  }

  let regionNames = null;
  try {
    regionNames = new Intl.DisplayNames([LOCALE], { type: "region" });
  } catch (error) {
    regionNames = null;
  }

  function countryName(code, fallback) {
    try {
      return (regionNames && regionNames.of(code)) || fallback || code;
    } catch (error) {
      return fallback || code;
    }
  }

  class HttpError extends Error {
    constructor(status) {
      super("HTTP " + status);
      this.status = status;
    }
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new HttpError(response.status);
    return response.json();
  }

  function errorText(error) {
    return error instanceof HttpError ? format(T.loadError, { status: error.status }) : T.networkError;
  }

  function setStatus(node, text, isError) {
    node.textContent = text;
    node.classList.toggle("error", Boolean(isError));
  }

  // The API refuses (400) a query without a letter or digit; do not even ask.
  const HAS_WORD = /[\p{L}\p{N}]/u;

  // --- search ----------------------------------------------------------------------------------------

  const form = document.getElementById("search-form");
  const input = document.getElementById("search-input");
  const listbox = document.getElementById("search-suggestions");
  const suggestionStatus = document.getElementById("suggestion-status");
  const searchStatus = document.getElementById("search-status");
  const results = document.getElementById("search-results");
  const moreButton = document.getElementById("search-more");

  let suggestions = [];
  let activeIndex = -1;
  let suggestTimer = null;
  let suggestTurn = 0; // answers to older keystrokes are dropped (rather than aborting their requests)
  let searchTurn = 0;
  let nextPage = null;
  let lastQuery = "";

  function closeSuggestions() {
    suggestions = [];
    activeIndex = -1;
    listbox.replaceChildren();
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function renderSuggestions(data) {
    suggestions = data.companies.concat(data.products);
    activeIndex = -1;
    input.removeAttribute("aria-activedescendant");
    listbox.replaceChildren(
      ...suggestions.map(function (item, index) {
        const isCompany = item.kind === "company";
        return el(
          "li",
          { id: "suggestion-" + index, role: "option", "aria-selected": "false", "data-index": index, "data-kind": item.kind },
          el("span", { class: "suggestion-name" }, isCompany ? item.name : item.name + " — " + item.company_name),
          el("span", { class: "suggestion-kind" }, isCompany ? T.company : T.product)
        );
      })
    );
    listbox.hidden = suggestions.length === 0;
    input.setAttribute("aria-expanded", suggestions.length ? "true" : "false");
    suggestionStatus.textContent = suggestions.length
      ? format(T.suggestionCount, { count: suggestions.length })
      : T.noSuggestions;
  }

  async function suggest() {
    const query = input.value.trim();
    const turn = ++suggestTurn;
    if (!query || !HAS_WORD.test(query)) {
      closeSuggestions();
      return;
    }
    try {
      const data = await getJSON(URLS.autocomplete + "?" + new URLSearchParams({ q: query }));
      if (turn === suggestTurn) renderSuggestions(data);
    } catch (error) {
      if (turn === suggestTurn) closeSuggestions();
    }
  }

  function setActive(index) {
    const options = listbox.querySelectorAll('[role="option"]');
    if (!options.length) return;
    activeIndex = (index + options.length) % options.length;
    options.forEach(function (option, position) {
      option.setAttribute("aria-selected", position === activeIndex ? "true" : "false");
    });
    const active = options[activeIndex];
    input.setAttribute("aria-activedescendant", active.id);
    active.scrollIntoView({ block: "nearest" });
  }

  function choose(item) {
    // A company: search for it; a product: search for the company that makes it.
    input.value = item.kind === "company" ? item.name : item.company_name;
    closeSuggestions();
    search(input.value.trim());
  }

  function companyItem(company) {
    const meta = [];
    if (company.name_en && company.name_en !== company.name) meta.push(el("span", { lang: "en" }, company.name_en));
    if (company.province) meta.push(el("span", {}, company.province.name));
    meta.push(el("span", {}, format(T.taxCode, { code: company.tax_code })));
    if (company.markets && company.markets.length) {
      const names = company.markets.slice(0, 6).map(function (code) {
        return countryName(code, code);
      });
      if (company.markets.length > 6) names.push("…");
      meta.push(el("span", {}, format(T.markets, { markets: names.join(", ") })));
    }
    if (company.latest_export_revenue) {
      meta.push(
        el(
          "span",
          {},
          format(T.latestRevenue, {
            year: company.latest_export_revenue.year,
            amount: money(company.latest_export_revenue.amount_usd),
          })
        )
      );
    }
    return el(
      "li",
      { class: "result" + (company.verified ? " is-verified" : "") },
      el(
        "div",
        {},
        el(
          "a",
          { class: "result-name", href: URLS.companies + encodeURIComponent(company.tax_code) + "/", lang: "vi" },
          company.name
        ),
        company.verified ? el("span", { class: "badge" }, T.verified) : null
      ),
      el("p", { class: "result-meta" }, ...meta)
    );
  }

  function countText(data, query) {
    if (data.count === 0) return format(T.noResults, { query: query });
    if (data.count === 1) return format(T.oneResult, { query: query });
    if (data.count_capped) return format(T.resultCountCapped, { count: integer(data.count), query: query });
    return format(T.resultCount, { count: integer(data.count), query: query });
  }

  async function search(query, pageUrl) {
    closeSuggestions();
    if (!query) {
      setStatus(searchStatus, T.typeSomething);
      results.replaceChildren();
      moreButton.hidden = true;
      return;
    }
    const turn = ++searchTurn;
    const url = pageUrl || URLS.companies + "?" + new URLSearchParams({ search: query });
    setStatus(searchStatus, T.searching);
    results.setAttribute("aria-busy", "true");
    try {
      const data = await getJSON(url);
      if (turn !== searchTurn) return;
      const items = data.results.map(companyItem);
      if (pageUrl) results.append(...items);
      else results.replaceChildren(...items);
      setStatus(searchStatus, countText(data, query));
      nextPage = data.next;
      lastQuery = query;
      moreButton.hidden = !nextPage;
    } catch (error) {
      if (turn !== searchTurn) return;
      setStatus(searchStatus, errorText(error), true);
      if (!pageUrl) results.replaceChildren();
      moreButton.hidden = true;
    } finally {
      if (turn === searchTurn) results.removeAttribute("aria-busy");
    }
  }

  if (form && input) {
    moreButton.textContent = T.showMore;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(suggestTimer);
      suggestTurn++;
      search(input.value.trim());
    });
    input.addEventListener("input", function () {
      clearTimeout(suggestTimer);
      suggestTimer = setTimeout(suggest, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && suggestions.length) {
        event.preventDefault();
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        setActive(activeIndex + 1);
      } else if (event.key === "ArrowUp" && suggestions.length) {
        event.preventDefault();
        setActive(activeIndex - 1);
      } else if (event.key === "Enter" && activeIndex >= 0 && !listbox.hidden) {
        event.preventDefault();
        choose(suggestions[activeIndex]);
      } else if (event.key === "Escape" && !listbox.hidden) {
        // Close the list first; only a second Escape clears the box (the search field's own behaviour).
        event.preventDefault();
        closeSuggestions();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(closeSuggestions, 100);
    });
    // Keep the focus in the box while a suggestion is clicked.
    listbox.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    listbox.addEventListener("click", function (event) {
      const option = event.target.closest('[role="option"]');
      if (option) choose(suggestions[Number(option.dataset.index)]);
    });
    moreButton.addEventListener("click", function () {
      if (nextPage) search(lastQuery, nextPage);
    });
  }

  // --- charts ----------------------------------------------------------------------------------------

  let chartCount = 0;

  function accessibleSvg(width, height, title, description) {
    const id = "chart-" + ++chartCount;
    return svgEl(
      "svg",
      {
        xmlns: SVG_NS,
        viewBox: "0 0 " + width + " " + height,
        role: "img",
        "aria-labelledby": id + "-title " + id + "-desc",
        preserveAspectRatio: "xMidYMid meet",
      },
      svgEl("title", { id: id + "-title" }, title),
      svgEl("desc", { id: id + "-desc" }, description)
    );
  }

  function hiddenTable(caption, headers, rows) {
    return el(
      "table",
      { class: "visually-hidden" },
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, ...headers.map((header) => el("th", { scope: "col" }, header)))),
      el(
        "tbody",
        {},
        ...rows.map((row) =>
          el("tr", {}, ...row.map((cell, index) => (index === 0 ? el("th", { scope: "row" }, cell) : el("td", {}, cell))))
        )
      )
    );
  }

  function points(list, x, y) {
    return list
      .map(function (point, index) {
        return (index ? "L" : "M") + x(point[0]).toFixed(1) + " " + y(point[1]).toFixed(1);
      })
      .join(" ");
  }

  function revenueChart(container, summary) {
    const target = summary.target;
    const history = summary.revenue_by_year.filter((row) => Number(row.amount_usd) > 0);
    if (!history.length) {
      container.replaceChildren(el("p", { class: "note" }, T.noRevenue));
      return;
    }
    const latestYear = history[history.length - 1].year;
    const shown = history.filter((row) => row.year >= latestYear - 10);
    const path = target.path || [];
    const firstYear = shown[0].year;
    const lastYear = Math.max(target.year, latestYear);

    const values = [Number(target.amount_usd)];
    shown.forEach(function (row) {
      values.push(Number(row.amount_usd));
      if (Number(row.verified_usd) > 0) values.push(Number(row.verified_usd));
    });
    path.forEach(function (point) {
      values.push(Number(point.required_usd));
      if (point.trend_usd !== null) values.push(Number(point.trend_usd));
    });
    const positive = values.filter((value) => value > 0);
    let low = Math.floor(Math.log10(Math.min(...positive)));
    let high = Math.ceil(Math.log10(Math.max(...positive)));
    if (high <= low) high = low + 1;

    const width = 720;
    const height = 340;
    const margin = { left: 78, right: 24, top: 18, bottom: 34 };
    const x = (year) =>
      margin.left + ((year - firstYear) / Math.max(lastYear - firstYear, 1)) * (width - margin.left - margin.right);
    const y = (value) =>
      height - margin.bottom - ((Math.log10(value) - low) / (high - low)) * (height - margin.top - margin.bottom);

    const latest = history[history.length - 1];
    const description = format(T.revenueSummary, {
      year: latest.year,
      amount: money(latest.amount_usd),
      share: percent(latest.verified_share),
      target: money(target.amount_usd),
      targetYear: target.year,
      required: percent(target.required_growth),
      trend: percent(target.trend_growth),
    });
    const svg = accessibleSvg(width, height, format(T.revenueTitle, { year: target.year }), description);

    const grid = svgEl("g", { class: "grid", "aria-hidden": "true" });
    for (let power = low; power <= high; power++) {
      const value = Math.pow(10, power);
      grid.append(
        svgEl("line", { class: "grid-line", x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value) }),
        svgEl("text", { class: "axis-label", x: margin.left - 8, y: y(value) + 4, "text-anchor": "end" }, money(value))
      );
    }
    const step = Math.max(1, Math.ceil((lastYear - firstYear) / 10));
    for (let year = firstYear; year <= lastYear; year += step) {
      if (lastYear - year < step / 2 && year !== lastYear) continue;
      grid.append(svgEl("text", { class: "axis-label", x: x(year), y: height - 12, "text-anchor": "middle" }, year));
    }
    if ((lastYear - firstYear) % step) {
      grid.append(
        svgEl("text", { class: "axis-label", x: x(lastYear), y: height - 12, "text-anchor": "middle" }, lastYear)
      );
    }
    svg.append(grid);

    const required = path.map((point) => [point.year, Number(point.required_usd)]);
    const trend = path.filter((point) => point.trend_usd !== null).map((point) => [point.year, Number(point.trend_usd)]);
    if (required.length > 1) svg.append(svgEl("path", { class: "line-required", d: points(required, x, y) }));
    if (trend.length > 1) svg.append(svgEl("path", { class: "line-trend", d: points(trend, x, y) }));

    const totals = shown.map((row) => [row.year, Number(row.amount_usd)]);
    const verified = shown.filter((row) => Number(row.verified_usd) > 0).map((row) => [row.year, Number(row.verified_usd)]);
    if (verified.length > 1) svg.append(svgEl("path", { class: "line-verified", d: points(verified, x, y) }));
    svg.append(svgEl("path", { class: "line-total", d: points(totals, x, y) }));

    shown.forEach(function (row) {
      const label =
        row.year + ": " + money(row.amount_usd) + " (" + format(T.shareVerified, { share: percent(row.verified_share) }) + ")";
      svg.append(
        svgEl("circle", { class: "dot-total", cx: x(row.year), cy: y(Number(row.amount_usd)), r: 4 }, svgEl("title", {}, label))
      );
      if (Number(row.verified_usd) > 0) {
        svg.append(svgEl("circle", { class: "dot-verified", cx: x(row.year), cy: y(Number(row.verified_usd)), r: 2.5 }));
      }
    });

    const targetLabel = format(T.target, { year: target.year }) + ": " + money(target.amount_usd);
    svg.append(
      svgEl(
        "circle",
        { class: "dot-target", cx: x(target.year), cy: y(Number(target.amount_usd)), r: 6 },
        svgEl("title", {}, targetLabel)
      ),
      svgEl(
        "text",
        { class: "target-label", x: x(target.year) - 10, y: y(Number(target.amount_usd)) + 4, "text-anchor": "end" },
        targetLabel
      )
    );

    const table = hiddenTable(
      format(T.revenueTitle, { year: target.year }),
      [T.year, T.amount, T.verifiedShare, T.companies, T.verifiedCompanies],
      summary.revenue_by_year.map((row) => [
        String(row.year),
        money(row.amount_usd),
        percent(row.verified_share),
        integer(row.companies),
        integer(row.verified_companies),
      ])
    );
    container.replaceChildren(svg, table);
  }

  function barChart(container, items, options) {
    const top = items.slice(0, 10);
    if (!top.length) {
      container.replaceChildren(el("p", { class: "note" }, T.noBreakdown));
      return;
    }
    const byMoney = top.some((item) => Number(item.amount_usd) > 0);
    const value = (item) => (byMoney ? Number(item.amount_usd) : item.companies);
    const verifiedValue = (item) => (byMoney ? Number(item.verified_usd) : item.verified_companies);
    const largest = Math.max(...top.map(value), 1);

    const width = 480;
    const rowHeight = 42;
    const barMax = width - 215;
    const height = top.length * rowHeight + 4;
    const describe = (item) =>
      options.name(item) +
      ": " +
      (byMoney ? money(item.amount_usd) + ", " + format(T.shareVerified, { share: percent(item.verified_share) }) + ", " : "") +
      format(T.companiesShort, { count: integer(item.companies) }) +
      " (" +
      format(T.verifiedCount, { count: integer(item.verified_companies) }) +
      ")";
    const svg = accessibleSvg(width, height, options.title, top.map(describe).join("; "));

    top.forEach(function (item, index) {
      const top_ = index * rowHeight;
      const total = (value(item) / largest) * barMax;
      const verified = Math.min(total, (verifiedValue(item) / largest) * barMax);
      const valueText = byMoney
        ? money(item.amount_usd) + " · " + format(T.shareVerified, { share: percent(item.verified_share) })
        : format(T.companiesShort, { count: integer(item.companies) });
      svg.append(
        svgEl(
          "g",
          { class: "bar" },
          svgEl("title", {}, describe(item)),
          svgEl("text", { class: "bar-label", x: 0, y: top_ + 13 }, options.name(item)),
          svgEl("rect", { class: "bar-total", x: 0, y: top_ + 19, width: Math.max(total, 1).toFixed(1), height: 14, rx: 2 }),
          verified > 0
            ? svgEl("rect", { class: "bar-verified", x: 0, y: top_ + 19, width: verified.toFixed(1), height: 14, rx: 2 })
            : null,
          svgEl("text", { class: "bar-value", x: Math.max(total, 1) + 6, y: top_ + 30 }, valueText)
        )
      );
    });

    const table = hiddenTable(
      options.title,
      [options.column, T.amount, T.verifiedShare, T.companies, T.verifiedCompanies],
      items.map((item) => [
        options.name(item),
        money(item.amount_usd),
        percent(item.verified_share),
        integer(item.companies),
        integer(item.verified_companies),
      ])
    );
    const parts = [svg, table];
    if (!byMoney) {
      const note =
        options.year === null ? T.breakdownByCompaniesNow : format(T.breakdownByCompanies, { year: options.year });
      parts.unshift(el("p", { class: "note" }, note));
    }
    container.replaceChildren(...parts);
  }

  function stat(term, value, sub, valueClass) {
    return el(
      "div",
      { class: "stat" },
      el("dt", {}, term),
      el("dd", { class: valueClass || null }, value, sub ? el("span", { class: "sub" }, sub) : null)
    );
  }

  function renderStats(node, summary) {
    const latest = summary.revenue_by_year[summary.revenue_by_year.length - 1];
    const target = summary.target;
    const stats = [];
    if (latest) {
      stats.push(
        stat(
          format(T.statRevenue, { year: latest.year }),
          money(latest.amount_usd),
          format(T.shareVerified, { share: percent(latest.verified_share) })
        )
      );
    }
    if (summary.growth && summary.growth.cagr !== null) {
      stats.push(
        stat(format(T.statGrowth, { from: summary.growth.from_year, to: summary.growth.to_year }), percent(summary.growth.cagr))
      );
    }
    const year = summary.latest_year;
    stats.push(
      stat(
        year === null ? T.statExportingNow : format(T.statExporting, { year: year }),
        integer(summary.exporting_companies.count),
        format(T.verifiedCount, { count: integer(summary.exporting_companies.verified) })
      ),
      stat(
        year === null ? T.statMarketsNow : format(T.statMarkets, { year: year }),
        integer(summary.markets.count),
        format(T.marketsVerified, { count: integer(summary.markets.verified) })
      ),
      stat(
        format(T.statTarget, { year: target.year }),
        money(target.amount_usd),
        target.required_growth === null
          ? null
          : format(T.statRequired, { required: percent(target.required_growth), trend: percent(target.trend_growth) })
      )
    );
    if (target.on_track !== null) {
      stats.push(
        stat(
          T.statOnTrack,
          target.on_track ? T.onTrack : T.offTrack,
          target.projected_amount_usd === null
            ? null
            : format(T.statProjected, { amount: money(target.projected_amount_usd), year: target.year }),
          target.on_track ? "on-track" : "off-track"
        )
      );
    }
    node.replaceChildren(...stats);
  }

  async function loadIndicators() {
    const status = document.getElementById("indicators-status");
    const revenue = document.getElementById("revenue-chart");
    if (!status || !revenue) return;
    let summary;
    let categoryNames = {};
    try {
      const categories =
        config.lang === "en" ? Promise.resolve([]) : getJSON(URLS.categories).catch(() => []);
      const [data, categoryList] = await Promise.all([getJSON(URLS.indicators), categories]);
      summary = data;
      categoryList.forEach(function (category) {
        categoryNames[category.slug] = category.name;
      });
    } catch (error) {
      setStatus(status, errorText(error), true);
      return;
    }
    renderStats(document.getElementById("indicator-stats"), summary);
    revenueChart(revenue, summary);
    const year = summary.latest_year;
    const marketsTitle = year === null ? T.marketsTitleNow : format(T.marketsTitle, { year: year });
    const categoriesTitle = year === null ? T.categoriesTitleNow : format(T.categoriesTitle, { year: year });
    document.getElementById("markets-caption").textContent = marketsTitle;
    document.getElementById("categories-caption").textContent = categoriesTitle;
    barChart(document.getElementById("markets-chart"), summary.top_markets, {
      title: marketsTitle,
      year: year,
      column: T.market,
      name: (item) => countryName(item.code, item.name),
    });
    barChart(document.getElementById("categories-chart"), summary.top_categories, {
      title: categoriesTitle,
      year: year,
      column: T.category,
      name: (item) => categoryNames[item.code] || item.name,
    });
    document.documentElement.setAttribute("data-indicators", "ready");
  }

  loadIndicators();
})();

// The joint-analysis page's charts (Chart.js, /static/chart.umd.<hash>.js): a bar per group
// for the vintage shown (the newest with values when every vintage is asked) and a line per group
// over every vintage, drawn from the aggregates API with the page's own query. The table
// under the charts holds the same numbers: it is their text alternative, and the page works
// without this script. Served with `defer`, no inline code (Content-Security-Policy).
'use strict';

(function () {
  var box = document.getElementById('analysis-charts');
  if (!box || !window.fetch || !window.Chart) return;
  var d = box.dataset;
  var stat = d.stat || 'mean';
  var number = new Intl.NumberFormat(d.lang || 'fr', { maximumFractionDigits: 4 });
  var colours = ['#0b6e4f', '#1f5fa8', '#b35c00', '#7a3e9d', '#a8323e', '#4b6b00', '#00707a', '#6b5b00'];

  function fetchJson(url) {
    return fetch(url, { credentials: 'same-origin' })
      .then(function (r) { if (r.status !== 200) throw new Error(r.status); return r.json(); });
  }

  function labelOf(answer, key) {
    if (key === null || key === undefined) return d.noGroup;
    var lang = d.lang === 'en' ? 'en' : 'fr';
    for (var i = 0; i < answer.group_labels.length; i++) {
      if (answer.group_labels[i].key === key) return answer.group_labels[i].label[lang];
    }
    return key;
  }

  function valueOf(g) {
    var v = g[stat];
    return typeof v === 'number' ? v : null;
  }

  // A chart's description for screen readers: its numbers in words.
  function describe(canvas, parts) {
    canvas.setAttribute('aria-label', d.alt + ' ' + parts.join(' ; '));
  }

  function options(legend) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: legend, position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: function (c) {
          return (c.dataset.label ? c.dataset.label + ' : ' : '') + number.format(c.parsed.y);
        } } }
      },
      scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return number.format(v); } } } }
    };
  }

  function bars(answer) {
    // The newest vintage with values (every vintage may be asked, the newest still empty).
    var vintage = answer.vintages[answer.vintages.length - 1];
    for (var i = answer.vintages.length - 1; i >= 0; i--) {
      if (answer.vintages[i].total.count > 0) { vintage = answer.vintages[i]; break; }
    }
    if (!vintage) return;
    var groups = vintage.groups;
    var labels = groups.map(function (g) { return labelOf(answer, g.group); });
    var values = groups.map(valueOf);
    var canvas = document.getElementById('bar-chart');
    document.getElementById('bar-caption').textContent = d.barTitle + ' — ' + vintage.vintage;
    describe(canvas, labels.map(function (l, i) {
      return l + ' : ' + (values[i] === null ? '—' : number.format(values[i]));
    }));
    new window.Chart(canvas, {
      type: 'bar',
      data: { labels: labels, datasets: [{ label: vintage.vintage, data: values, backgroundColor: colours[0] }] },
      options: options(false)
    });
  }

  function lines(answer) {
    var canvas = document.getElementById('line-chart');
    var vintages = answer.vintages.map(function (v) { return v.vintage; });
    if (vintages.length < 2) {
      canvas.closest('figure').hidden = true;
      return;
    }
    var keys = [];
    answer.vintages.forEach(function (v) {
      v.groups.forEach(function (g) { if (keys.indexOf(g.group) < 0) keys.push(g.group); });
    });
    var parts = [];
    var datasets = keys.map(function (key, i) {
      var data = answer.vintages.map(function (v) {
        for (var j = 0; j < v.groups.length; j++) {
          if (v.groups[j].group === key) return valueOf(v.groups[j]);
        }
        return null;
      });
      var name = labelOf(answer, key);
      parts.push(name + ' : ' + data.map(function (x, k) {
        return vintages[k] + ' ' + (x === null ? '—' : number.format(x));
      }).join(', '));
      var colour = colours[i % colours.length];
      return { label: name, data: data, borderColor: colour, backgroundColor: colour, spanGaps: true };
    });
    describe(canvas, parts);
    new window.Chart(canvas, {
      type: 'line',
      data: { labels: vintages, datasets: datasets },
      options: options(true)
    });
  }

  Promise.all([fetchJson(d.api), fetchJson(d.apiAll)]).then(function (answers) {
    box.hidden = false;
    bars(answers[0]);
    lines(answers[1]);
  }).catch(function () { /* the table stays: the charts are its twin */ });
})();

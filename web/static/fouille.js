// Progressive enhancement only: suggestions as you type, from /api/suggest.
// The page works without this file. No innerHTML: suggestions are set as values.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest-url]");
  var list = input && document.getElementById(input.getAttribute("list"));
  if (!input || !list || !window.fetch) {
    return;
  }
  var url = input.getAttribute("data-suggest-url");
  var timer = null;
  var pending = null;
  var last = null;

  function show(words) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    words.forEach(function (word) {
      var option = document.createElement("option");
      option.value = word;
      list.appendChild(option);
    });
  }

  function fetchSuggestions() {
    var text = input.value;
    if (text === last) {
      return;
    }
    last = text;
    if (!text.trim()) {
      show([]);
      return;
    }
    if (pending && window.AbortController) {
      pending.abort();
    }
    pending = window.AbortController ? new AbortController() : null;
    fetch(url + "?q=" + encodeURIComponent(text), {
      headers: { Accept: "application/x-suggestions+json" },
      signal: pending ? pending.signal : undefined,
    })
      .then(function (response) {
        return response.ok ? response.json() : [text, []];
      })
      .then(function (data) {
        if (data[0] === input.value && Array.isArray(data[1])) {
          show(data[1].filter(function (word) { return typeof word === "string"; }));
        }
      })
      .catch(function () { /* aborted or offline: keep the box as it is */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });
})();

// "Pourquoi ?" on a result: the explanation is on the article's page (the link inside
// says so without script); when the box is opened, its content is brought here.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser) {
    return;
  }
  function load(box) {
    if (box.getAttribute("data-why-state")) {
      return;
    }
    box.setAttribute("data-why-state", "loading");
    fetch(box.getAttribute("data-why-url"), { headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var found = doc.getElementById("pourquoi");
        if (!found) {
          throw new Error("no explanation");
        }
        var link = box.querySelector(".why-link");
        Array.prototype.forEach.call(found.children, function (child) {
          if (child.tagName !== "SUMMARY") {
            box.insertBefore(document.importNode(child, true), link);
          }
        });
        if (link) {
          link.classList.add("why-more");
        }
        box.setAttribute("data-why-state", "done");
      })
      .catch(function () {
        box.removeAttribute("data-why-state");  // the link stays: try again on next open
      });
  }
  Array.prototype.forEach.call(document.querySelectorAll("details[data-why-url]"), function (box) {
    box.addEventListener("toggle", function () {
      if (box.open) {
        load(box);
      }
    });
  });
})();

// Hover (or first tap on touch screens) plays a muted preview in the card; a second tap opens the page.
// Without JavaScript the gallery works the same, minus the previews.
(function () {
  "use strict";
  var touch = window.matchMedia && window.matchMedia("(hover: none)").matches;
  function start(link) {
    var thumb = link.querySelector(".thumb");
    if (!thumb || thumb.querySelector("video")) return;
    var video = document.createElement("video");
    video.src = link.getAttribute("data-preview");
    video.muted = true;
    video.loop = true;
    video.playsInline = true;
    video.setAttribute("playsinline", "");
    video.preload = "auto";
    thumb.appendChild(video);
    var playing = video.play();
    if (playing && playing.catch) playing.catch(function () { stop(link); });
  }
  function stop(link) {
    var video = link.querySelector(".thumb video");
    if (video) { video.pause(); video.removeAttribute("src"); video.load(); video.remove(); }
  }
  document.querySelectorAll(".card a[data-preview]").forEach(function (link) {
    if (touch) {
      link.addEventListener("click", function (event) {
        if (!link.querySelector(".thumb video")) { event.preventDefault(); start(link); }
      });
    } else {
      link.addEventListener("mouseenter", function () { start(link); });
      link.addEventListener("mouseleave", function () { stop(link); });
      link.addEventListener("focus", function () { start(link); });
      link.addEventListener("blur", function () { stop(link); });
    }
  });
})();

// Polls the job's JSON until it is done and updates the progress bar; reloads once to show the new LODs.
(() => {
  const box = document.getElementById("job");
  if (!box) return;
  const bar = box.querySelector("progress");
  const state = box.querySelector(".job-state");
  const stage = box.querySelector(".job-stage");
  const error = box.querySelector(".job-error");
  const tick = async () => {
    const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const job = await response.json();
    bar.value = job.progress;
    state.textContent = job.state;
    stage.textContent = job.stage;
    if (job.error_message) error.textContent = `${job.error_code}: ${job.error_message}`;
    box.dataset.state = job.state;
    if (!job.done) setTimeout(tick, 1000);
    else if (job.state === "succeeded" && box.dataset.initial !== "succeeded") location.reload();
  };
  tick();
})();

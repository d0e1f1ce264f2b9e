from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courseproj.courses.access import get_instructor_membership, get_membership, get_staff_membership, get_visible
from courseproj.courses.web import call_service
from datasets import jobs, services
from datasets.builtins import BUILTINS
from datasets.forms import BuiltinAddForm, CatalogFilterForm, DatasetUploadForm, TargetForm
from datasets.models import Dataset, DatasetStatus
from datasets.report import notebook_offer, notebook_zip, report_context
from datasets.uploads import PROPOSALS_PER_STUDENT


def _get_dataset(membership, dataset_id: int) -> Dataset:
    return get_visible(Dataset.objects.select_related("profile_job"), membership, dataset_id)


def _can_set_target(membership, dataset: Dataset) -> bool:
    """Staff, and the student who uploaded it, may change a dataset's target."""
    return membership.is_staff_role or (dataset.proposed_by_id is not None and dataset.proposed_by_id == membership.user_id)


def _target_context(membership, dataset: Dataset) -> dict:
    """What the target form and a failed job's "did you mean …" buttons need."""
    job = dataset.profile_job
    details = (job.error_details or {}) if job and job.error_code == "unknown_target" else {}
    return {
        "can_set_target": _can_set_target(membership, dataset),
        "target_columns": dataset.column_names or details.get("columns") or [],
        "target_suggestions": details.get("suggestions") or [],
        "target_unknown": details.get("target") if details else None,
    }


@login_required
def catalog(request, course_id: int):
    membership = get_membership(request.user, course_id)
    form = CatalogFilterForm(request.GET or None, searcher=f"user-{request.user.pk}")
    datasets = Dataset.objects.visible_to(membership).select_related("profile_job")
    if form.is_valid():
        datasets = form.filter(datasets)
    datasets = datasets.annotate(interested=Count("interests"))
    context = {"membership": membership, "course": membership.course, "form": form, "datasets": datasets}
    template = "datasets/_catalog_results.html" if request.htmx else "datasets/catalog.html"
    return render(request, template, context)


@login_required
def dataset_detail(request, course_id: int, dataset_id: int):
    membership = get_membership(request.user, course_id)
    dataset = _get_dataset(membership, dataset_id)
    rows = dataset.preview
    return render(
        request,
        "datasets/detail.html",
        {
            "membership": membership,
            "course": membership.course,
            "dataset": dataset,
            "job": dataset.profile_job,
            "preview": rows,
            "interested": dataset.interests.count(),
            **_target_context(membership, dataset),
        },
    )


@login_required
def dataset_add_builtin(request, course_id: int):
    membership = get_instructor_membership(request.user, course_id)
    course = membership.course
    present = set(course.datasets.exclude(builtin_key="").values_list("builtin_key", flat=True))
    form = BuiltinAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        added = [services.dataset_add_builtin(course=course, key=key) for key in form.cleaned_data["keys"]]
        created = sum(1 for _, was_created in added if was_created)
        messages.success(request, f"{created} dataset(s) added to the catalog; profiling has started.")
        return redirect("catalog", course_id=course_id)
    builtins = [(key, b, key in present) for key, b in BUILTINS.items()]
    return render(request, "datasets/add_builtin.html", {"membership": membership, "course": course, "form": form, "builtins": builtins})


@login_required
def dataset_upload(request, course_id: int):
    membership = get_membership(request.user, course_id)
    form = DatasetUploadForm(
        request.POST or None, request.FILES or None, too_large=getattr(request, "upload_too_large", False)
    )
    if request.method == "POST" and form.is_valid() and _proposal_allowed(form, membership):
        data = form.cleaned_data
        dataset, created = services.dataset_upload(
            membership=membership,
            uploaded=data["file"],
            file_format=form.file_format,
            title=data["title"],
            description=data["description"],
            source=data["source"],
            licence=data["licence"],
            tags=data["tags"],
            target_column=data["target_column"],
        )
        if not created:
            messages.info(request, f"This file is already in the course as “{dataset.title}”.")
        elif dataset.status == DatasetStatus.PROPOSED:
            messages.success(request, "Thanks! Your dataset is being profiled; your instructor will review the proposal.")
        else:
            messages.success(request, "Dataset added; profiling has started.")
        return redirect("dataset_detail", course_id=course_id, dataset_id=dataset.pk)
    return render(request, "datasets/upload.html", {"membership": membership, "course": membership.course, "form": form})


def _proposal_allowed(form: DatasetUploadForm, membership) -> bool:
    """Staff upload freely; a student's proposals are counted (each queues a profile)."""
    if membership.is_staff_role or PROPOSALS_PER_STUDENT.consume(who=f"user-{membership.user_id}"):
        return True
    form.add_error(None, PROPOSALS_PER_STUDENT.message)
    return False


def _review(request, course_id: int, dataset_id: int, *, approve: bool):
    membership = get_instructor_membership(request.user, course_id)
    dataset = _get_dataset(membership, dataset_id)
    services.dataset_review(dataset=dataset, approve=approve)
    messages.success(request, f"“{dataset.title}” is {'in the catalog' if approve else 'not accepted'}.")
    return redirect("dataset_detail", course_id=course_id, dataset_id=dataset_id)


@login_required
@require_POST
def dataset_approve(request, course_id: int, dataset_id: int):
    return _review(request, course_id, dataset_id, approve=True)


@login_required
@require_POST
def dataset_reject(request, course_id: int, dataset_id: int):
    return _review(request, course_id, dataset_id, approve=False)


@login_required
@require_POST
def dataset_set_target(request, course_id: int, dataset_id: int):
    membership = get_membership(request.user, course_id)
    dataset = _get_dataset(membership, dataset_id)
    if not _can_set_target(membership, dataset):
        raise PermissionDenied("Only staff and the student who uploaded it can change a dataset's target.")
    form = TargetForm(request.POST)
    if form.is_valid() and call_service(
        request, services.dataset_set_target, dataset=dataset, target_column=form.cleaned_data["target_column"].strip()
    )[0]:
        messages.success(request, "Target saved; the profile is being computed for it.")
    if request.POST.get("next") == "report":
        return redirect("profile_report", course_id=course_id, dataset_id=dataset_id)
    return redirect("dataset_detail", course_id=course_id, dataset_id=dataset_id)


@login_required
def profile_report(request, course_id: int, dataset_id: int):
    """The profile; while it runs, static/js/live.js polls this same view (X-Live) for the progress fragment."""
    membership = get_membership(request.user, course_id)
    dataset = _get_dataset(membership, dataset_id)
    job = dataset.profile_job
    etag = f'"job-{job.pk}-{job.status}-{job.attempts}-{job.updated_at.timestamp()}"' if job else '"job-none"'
    if request.headers.get("X-Live") == "1" and request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    profile = job.result if job and job.status == "done" else None
    context = {"membership": membership, "course": membership.course, "dataset": dataset, "job": job, "etag": etag,
               "profile": profile, "report": report_context(profile) if profile else None,
               "notebook": notebook_offer(job, title=dataset.title) if profile else None, **_target_context(membership, dataset)}
    live = request.headers.get("X-Live") == "1"
    response = render(request, "datasets/_profile_progress.html" if live else "datasets/report.html", context)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_POST
def profile_rerun(request, course_id: int, dataset_id: int):
    membership = get_staff_membership(request.user, course_id)
    dataset = _get_dataset(membership, dataset_id)
    if dataset.profile_job and dataset.profile_job.status == "failed":
        jobs.profile_job_rerun(job=dataset.profile_job)
        messages.success(request, "Profiling restarted.")
    return redirect("profile_report", course_id=course_id, dataset_id=dataset_id)


@login_required
def profile_notebook(request, course_id: int, dataset_id: int):
    """The starter notebook with its data file, as a zip: only one that ran and printed the profile's baseline."""
    membership = get_membership(request.user, course_id)
    dataset = _get_dataset(membership, dataset_id)
    job = dataset.profile_job
    offer = notebook_offer(job, title=dataset.title) if job and job.status == "done" else None
    if not offer or not offer["offered"]:
        raise Http404("No starter notebook for this dataset.")
    return FileResponse(notebook_zip(job), as_attachment=True, filename=offer["file_name"],
                        content_type="application/zip")

"""The grid's notice board, for the station and the grid leader to print."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.http import content_disposition_header

from grids.models import SUPERVISOR_ROLES, Role
from grids.scope import get_scope

from .board import board_pdf, board_png
from .services import public_url

# Who prints and hangs the board.
BOARD_ROLES = (*SUPERVISOR_ROLES, Role.GRID_LEADER)


def may_print_board(scope, grid):
    return scope.has_role(grid, *BOARD_ROLES)


@login_required
def notice_board(request, grid_code, kind):
    """The grid's notice board as an A4 PDF or a PNG image: outside the user's areas a 404,
    for other roles in them a 403."""
    scope = get_scope(request)
    grid = scope.get_grid(grid_code)
    if not may_print_board(scope, grid):
        raise PermissionDenied
    pdf = board_pdf(grid, public_url(grid, request=request))
    if kind == "png":
        response = HttpResponse(board_png(pdf), content_type="image/png")
    else:
        response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"notice-board-{grid.code}.{kind}"
    )
    return response

from django.urls import include, path

from residents import board_views

from . import move_views, pickers, register_views, team_views, views

app_name = "grids"

urlpatterns = [
    path("pick/households/", pickers.pick, {"kind": "household"}, name="pick_household"),
    path("pick/residents/", pickers.pick, {"kind": "resident"}, name="pick_resident"),
    path("grids/", views.grid_list, name="list"),
    path("grids/<str:grid_code>/", views.grid_detail, name="detail"),
    path(
        "grids/<str:grid_code>/notice-board.pdf",
        board_views.notice_board,
        {"kind": "pdf"},
        name="notice_board_pdf",
    ),
    path(
        "grids/<str:grid_code>/notice-board.png",
        board_views.notice_board,
        {"kind": "png"},
        name="notice_board_png",
    ),
    path("grids/<str:community_code>/team/", team_views.team_page, name="team"),
    path(
        "grids/<str:community_code>/team/absences/new/",
        team_views.absence_create,
        name="absence_create",
    ),
    path(
        "grids/<str:community_code>/team/absences/<int:absence_id>/",
        team_views.absence_update,
        name="absence_update",
    ),
    path(
        "grids/<str:community_code>/team/absences/<int:absence_id>/end/",
        team_views.absence_end,
        name="absence_end",
    ),
    path(
        "grids/<str:community_code>/team/posts/new/",
        team_views.post_open,
        name="post_open",
    ),
    path(
        "grids/<str:community_code>/team/posts/<int:post_id>/",
        team_views.post_holder,
        name="post_holder",
    ),
    path(
        "grids/<str:community_code>/team/people/<int:user_id>/deactivate/",
        team_views.person_deactivate,
        name="person_deactivate",
    ),
    path("grids/<str:grid_code>/households/", register_views.household_list, name="households"),
    path(
        "grids/<str:grid_code>/households/new/",
        register_views.household_create,
        name="household_create",
    ),
    path("buildings/", register_views.my_buildings, name="buildings"),
    path(
        "buildings/<str:building_code>/households/",
        register_views.building_households,
        name="building_households",
    ),
    path("households/<int:household_id>/", register_views.household_detail, name="household"),
    path(
        "households/<int:household_id>/edit/",
        register_views.household_update,
        name="household_update",
    ),
    path(
        "households/<int:household_id>/residents/new/",
        register_views.resident_create,
        name="resident_create",
    ),
    path("residents/<int:resident_id>/", move_views.resident_detail, name="resident"),
    path(
        "residents/<int:resident_id>/edit/", register_views.resident_update, name="resident_update"
    ),
    path("residents/<int:resident_id>/move/", move_views.resident_move, name="resident_move"),
    path(
        "residents/<int:resident_id>/transfer/",
        move_views.resident_transfer,
        name="resident_transfer",
    ),
    path("register/transfers/", move_views.transfer_list, name="transfers"),
    path("register/transfers/<int:transfer_id>/", move_views.transfer_detail, name="transfer"),
    path(
        "residents/<int:resident_id>/move-out/",
        register_views.resident_move_out,
        name="resident_move_out",
    ),
    path(
        "residents/<int:resident_id>/unmask/",
        register_views.resident_unmask,
        name="resident_unmask",
    ),
    path("register/floating/", register_views.floating_list, name="floating"),
    path("register/rentals/", register_views.rental_list, name="rentals"),
    path("register/search/", register_views.search, name="search"),
    path("register/disclosures/", register_views.disclosure_log, name="disclosures"),
    path("register/import/", include("grids.import_urls")),
    path("area-changes/", include("grids.change_urls")),
]
